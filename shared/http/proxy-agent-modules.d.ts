// These packages ship ESM with types reachable only through package.json "exports", which the project's
// `moduleResolution: node` does not read. Point TypeScript at their declaration files; at run time Node 20
// (require of ESM) and esbuild resolve the packages normally.
declare module 'https-proxy-agent' {
  export * from 'https-proxy-agent/dist/index';
}
declare module 'http-proxy-agent' {
  export * from 'http-proxy-agent/dist/index';
}
declare module 'agent-base' {
  export * from 'agent-base/dist/index';
}
