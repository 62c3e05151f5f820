import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportDocument } from './types.js';

/**
 * Writes every report format for one result document into `dir` and returns the paths written.
 * (Skeleton: report.json only; the reports work adds schema validation, JUnit, Markdown, HTML and badge.)
 */
export async function writeReports(dir: string, report: ReportDocument): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'report.json');
  await writeFile(path, JSON.stringify(report, null, 2) + '\n');
  return [path];
}
