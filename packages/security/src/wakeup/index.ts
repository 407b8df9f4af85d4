// Public surface of wakeup/ (filled in by the issue-3 work).
export {};
