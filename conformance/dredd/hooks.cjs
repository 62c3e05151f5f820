// @ts-check
'use strict';
/**
 * Dredd hook file (loaded by Dredd 14 with require(); `hooks` is injected by Dredd). The logic lives in
 * hook-logic.cjs; this file only wires it. Run through `npm run dredd`, which sets the environment.
 */
const hooks = require('hooks');
const { prepare, mask } = require('./hook-logic.cjs');

hooks.beforeEach((/** @type {import('./hook-logic.cjs').DreddTransaction} */ t) => {
  prepare(t, process.env);
});

// afterEach runs before Dredd reports the transaction (TransactionRunner.emitResult), so the reporters
// only ever see the masked headers.
hooks.afterEach((/** @type {import('./hook-logic.cjs').DreddTransaction} */ t) => {
  mask(t);
});

// A request that fails at the socket level is reported with the same request object, and Dredd's CLI
// reporter prints it only at the end of the run (no --inline-errors), after afterEach: masked as well. The
// wrapper (run.ts) redacts Dredd's whole output as a second layer, e.g. for a target echoing a password.
