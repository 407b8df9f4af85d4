// Public surface of cms/ (filled in by the issue-3 work).
export {};
