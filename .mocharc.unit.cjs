// `npm run test:unit`: the pure tests — no server, no child process, no browser — in well
// under 2 s, for the edit-test loop. `npm test` runs these and every other test (.mocharc.json).
'use strict';
const base = require('./.mocharc.json');

const PURE = [
  'attacks-unit',
  'checks-catalogue',
  'checks-frozen',
  'checks-provenance',
  'checks-specref',
  'dredd-unit',
  'report-console',
  'report-formatters',
  'report-grade',
  'report-progress',
  'report-schema',
  'runner-config',
  'runner-redact',
  'runner-registry',
  'runner-report',
  'standin-spec-agreement',
  'token-codec',
];

module.exports = { ...base, spec: PURE.map((name) => `dist/conformance/test/${name}.test.js`) };
