import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STAGES_FILE, loadStage, StageSettings } from './config';
import { EdgeAlarmsStack, ImageServiceStack } from './image-service-stack';
import { DEFAULT_WATERMARKS } from './lambda-package';
import { EdgeWafStack } from './waf';

/** Context keys the app reads (`cdk synth -c key=value`). */
export const CONTEXT = {
  /** Stage to synthesize: a key of config/stages.json. Required. */
  stage: 'stage',
  /** Alternative settings file (tests). Default: config/stages.json. */
  stagesFile: 'stagesFile',
  /** Directory with a prebuilt `bootstrap`: package it instead of running bin/package during synth. */
  lambdaAsset: 'lambdaAsset',
  /** Directory of watermark PNGs to ship. Default: <repo>/assets/watermarks. */
  watermarksDir: 'watermarksDir',
} as const;

export function stackName(stage: string): string {
  return `image-service-${stage}`;
}

export interface ImageServiceApp {
  readonly settings: StageSettings;
  readonly main: ImageServiceStack;
  /** Present when the stage's region is not us-east-1. */
  readonly edge?: EdgeAlarmsStack;
  /** Present when the stage's region is not us-east-1 and cloudfront.waf.enabled is true. */
  readonly edgeWaf?: EdgeWafStack;
}

function contextString(app: App, key: string): string | undefined {
  const v: unknown = app.node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

/** Adds the selected stage's stacks and the cdk-nag checks to an app. */
export function buildApp(app: App): ImageServiceApp {
  const stagesFile = path.resolve(contextString(app, CONTEXT.stagesFile) ?? DEFAULT_STAGES_FILE);
  const settings = loadStage(contextString(app, CONTEXT.stage), stagesFile);
  const lambdaAsset = contextString(app, CONTEXT.lambdaAsset);

  // CloudFront takes web ACLs only from us-east-1: a stage elsewhere gets its ACL from a small
  // stack there, deployed first (cdk deploy --all follows the dependency).
  const edgeWaf = settings.cloudfront.waf.enabled && settings.region !== 'us-east-1'
    ? new EdgeWafStack(app, `${stackName(settings.name)}-edge-waf`, { settings })
    : undefined;
  const main = new ImageServiceStack(app, stackName(settings.name), {
    settings,
    prebuiltDir: lambdaAsset ? path.resolve(lambdaAsset) : undefined,
    watermarksDir: path.resolve(contextString(app, CONTEXT.watermarksDir) ?? DEFAULT_WATERMARKS),
    crossRegionReferences: settings.region !== 'us-east-1',
    edgeWebAclArn: edgeWaf?.webAcl.attrArn,
  });
  if (edgeWaf) main.addStackDependency(edgeWaf);
  let edge: EdgeAlarmsStack | undefined;
  if (settings.region !== 'us-east-1') {
    edge = new EdgeAlarmsStack(app, `${stackName(settings.name)}-edge-alarms`, {
      settings,
      distributionId: main.distribution.distributionId,
    });
    edge.addStackDependency(main);
  }

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { settings, main, edge, edgeWaf };
}
