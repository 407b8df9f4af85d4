// The SML 1.04 codec. See the files beside this one.
export {};
