import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, ImageServiceApp } from '../lib/app';
import { ConfigError, DEFAULT_STAGES_FILE, parseStage } from '../lib/config';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));

/** The feature flags and settings of cdk.json, as the CLI would pass them. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = cdkJson.context;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'image-service-cdk-test-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

/** A placeholder Lambda build (a `bootstrap` file) and one watermark, so nothing is compiled. */
export const fixtures = (() => {
  const lambdaAsset = path.join(root, 'lambda');
  fs.mkdirSync(lambdaAsset);
  fs.writeFileSync(path.join(lambdaAsset, 'bootstrap'), '#!/bin/sh\necho placeholder\n');
  const watermarks = path.join(root, 'watermarks');
  fs.mkdirSync(watermarks);
  // PNG signature: enough for a file that must merely be shipped.
  fs.writeFileSync(path.join(watermarks, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { root, lambdaAsset, watermarks };
})();

/** The raw stage objects of the checked-in settings file. */
export function checkedInStages(): Record<string, Record<string, unknown>> {
  return JSON.parse(fs.readFileSync(DEFAULT_STAGES_FILE, 'utf8')).stages;
}

/** The message with which parseStage rejects raw settings (fails when it accepts them). */
export function problems(raw: unknown): string {
  try {
    parseStage('t', raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the settings to be rejected');
}

/** Writes a stages file holding the given stages; returns its path. */
export function writeStagesFile(stages: Record<string, unknown>): string {
  const file = fs.mkdtempSync(path.join(root, 'stages-')) + '/stages.json';
  fs.writeFileSync(file, JSON.stringify({ stages }, null, 2));
  return file;
}

export interface Synthesized extends ImageServiceApp {
  readonly app: App;
  readonly outdir: string;
  readonly template: Template;
  readonly edgeTemplate?: Template;
  /** cdk.out/validation-report.json written by the policy validation (cdk-nag). */
  readonly validationReport: any;
}

/**
 * Synthesizes one stage exactly as `cdk synth -c stage=<stage>` does, with the placeholder
 * Lambda package. Throws when cdk-nag reports an unacknowledged finding.
 */
export function synth(stage: string, context: Record<string, unknown> = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(root, `cdk.out-${stage}-`));
  const app = new App({
    outdir,
    context: {
      ...CDK_JSON_CONTEXT,
      stage,
      lambdaAsset: fixtures.lambdaAsset,
      watermarksDir: fixtures.watermarks,
      ...context,
    },
  });
  const built = buildApp(app);
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName(built.main.stackName).template);
  const edgeTemplate = built.edge
    ? Template.fromJSON(assembly.getStackByName(built.edge.stackName).template)
    : undefined;
  const reportFile = path.join(outdir, 'validation-report.json');
  const validationReport = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined;
  return { ...built, app, outdir, template, edgeTemplate, validationReport };
}

/** Resources of one type in a template, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, any][] {
  return Object.entries(template.findResources(type));
}

/** The single resource of a type (fails when there is not exactly one). */
export function only(template: Template, type: string): [string, any] {
  const found = resourcesOf(template, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

/** The service's own Lambda function (the one running `bootstrap`), as [logicalId, resource]. */
export function serviceFunction(template: Template): [string, any] {
  const found = resourcesOf(template, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Handler === 'bootstrap');
  if (found.length !== 1) throw new Error(`expected exactly one bootstrap function, found ${found.length}`);
  return found[0];
}
