// Public surface of pki/ (filled in by the issue-3 work).
export {};
