import type { ReportDocument } from '../types.js';

/** report.json: the canonical document itself, pretty-printed so that a diff of two runs reads well. */
export const formatJson = (report: ReportDocument): string => JSON.stringify(report, null, 2) + '\n';
