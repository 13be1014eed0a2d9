import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StageSettings } from './config';
import { REPO_ROOT, watermarkFiles } from './lambda-package';

/**
 * Edge delivery (issue 17): what CloudFront serves from S3 without the Lambda.
 *
 * One viewer-request function (functions/viewer-request.js) runs on the default behaviour. It
 * picks the origin per request with the CloudFront Functions origin helpers: a static origin
 * group cannot sit on a behaviour that allows POST or DELETE, and ours does when the stage has
 * writes, so the function builds the group (bucket first, API on 403/404) only for the GETs
 * and HEADs it may serve from S3. The bucket origins are in the distribution's Origins (ids
 * below) without a behaviour of their own, so no viewer path reaches them except through
 * the function.
 */

/** Origin ids in the distribution; the function names them. */
export const ORIGIN_IDS = { api: 'api', originals: 'originals', results: 'results' } as const;
/** S3 answers 403 for a missing key (CloudFront may not list) and 404 otherwise. */
export const FAILOVER_STATUS_CODES = [403, 404];
/** Header the function sets to the normalised Accept class; the cache key holds it. */
export const ACCEPT_CLASS_HEADER = 'x-image-accept';

export const VIEWER_FUNCTION_FILE = path.join(__dirname, '..', 'functions', 'viewer-request.js');
/** CloudFront Functions' size quota (not adjustable). */
export const MAX_FUNCTION_BYTES = 10 * 1024;
const CONFIG_LINE = /^const CONFIG = .*;$/gm;
const COMMENT_LINE = /^[ \t]*\/\/.*\n/gm;

/** The synth-time constants of the viewer function (its `const CONFIG` line). */
export interface ViewerFunctionConfig {
  /** The stage has write routes: GET and HEAD lose Authorization. */
  readonly writes: boolean;
  /** Originals (no query string) are tried in the originals bucket first. */
  readonly originals: boolean;
  /** Transforms are tried in the results bucket at their edge key. */
  readonly results: boolean;
  /** Transforms need a signature verified with a key from the KeyValueStore. */
  readonly signing: boolean;
  /** IMAGE_SERVICE_PRESETS_ONLY: an unsigned request for presets alone (plus fm=auto) needs no signature. */
  readonly presetsOnly: boolean;
  /** IMAGE_SERVICE_AUTO_FORMAT: a transform without fm is negotiated (its Accept class matters). */
  readonly autoFormat: boolean;
  /** The edge salt (IMAGE_SERVICE_EDGE_SALT). */
  readonly salt: string;
  readonly api: string;
  readonly originalsOrigin: string;
  readonly resultsOrigin: string;
  readonly failover: number[];
}

/**
 * The function's source with `config` on its CONFIG line (the file holds exactly one such line)
 * and without its comment lines; the result must fit CloudFront's 10 KB quota.
 */
export function renderViewerFunction(config: ViewerFunctionConfig, source = fs.readFileSync(VIEWER_FUNCTION_FILE, 'utf8')): string {
  const lines = source.match(CONFIG_LINE) ?? [];
  if (lines.length !== 1) throw new Error(`${VIEWER_FUNCTION_FILE}: expected one "const CONFIG = {...};" line, found ${lines.length}`);
  // Comment lines stay in the repository: only the code counts against the quota.
  const code = source.replace(CONFIG_LINE, () => `const CONFIG = ${JSON.stringify(config)};`).replace(COMMENT_LINE, '');
  const size = Buffer.byteLength(code, 'utf8');
  if (size > MAX_FUNCTION_BYTES) throw new Error(`viewer function is ${size} bytes, over CloudFront's ${MAX_FUNCTION_BYTES}`);
  return code;
}

export interface ViewerFunction {
  readonly fn: cloudfront.Function;
  readonly config: ViewerFunctionConfig;
  /** kid -> secret for signed URLs at the edge, filled by bin/deploy (edge signing stages only). */
  readonly signingKeys?: cloudfront.KeyValueStore;
}

/**
 * The viewer-request function of the default behaviour, on every stage (it sets the Accept
 * class), with its settings: what the stage lets S3 answer and how signatures are checked.
 */
export function createViewerFunction(scope: Construct, s: StageSettings,
  opts: { writes: boolean; results: boolean; salt: string; environment: Record<string, string> }): ViewerFunction {
  const edge = s.edge.serveFromS3;
  const config: ViewerFunctionConfig = {
    writes: opts.writes,
    // An enforced watermark or signed originals mean the Lambda must answer every original.
    originals: edge && !s.signing.originals && !opts.environment.IMAGE_SERVICE_WATERMARK,
    results: edge && opts.results,
    signing: s.signing.mode === 'required',
    // Whichever settings turn these on, the function follows the Lambda's variables.
    presetsOnly: envFlag(opts.environment, 'IMAGE_SERVICE_PRESETS_ONLY'),
    autoFormat: envFlag(opts.environment, 'IMAGE_SERVICE_AUTO_FORMAT'),
    salt: opts.salt,
    api: ORIGIN_IDS.api,
    originalsOrigin: ORIGIN_IDS.originals,
    resultsOrigin: ORIGIN_IDS.results,
    failover: FAILOVER_STATUS_CODES,
  };
  const signingKeys = config.results && config.signing
    ? new cloudfront.KeyValueStore(scope, 'EdgeSigningKeys', { comment: `image-service ${s.name}: signing keys (kid -> secret) the viewer function verifies; bin/deploy fills it` })
    : undefined;
  const fn = new cloudfront.Function(scope, 'ViewerRequest', {
    functionName: `image-service-${s.name}-viewer-request`,
    comment: `image-service ${s.name}: Accept class${opts.writes ? ', no Authorization on reads' : ''}${edge ? ', S3 first for originals and stored results' : ''}`,
    code: cloudfront.FunctionCode.fromInline(renderViewerFunction(config)),
    runtime: cloudfront.FunctionRuntime.JS_2_0,
    keyValueStore: signingKeys,
  });
  return { fn, config, signingKeys };
}

export const PIPELINE_RS = path.join(REPO_ROOT, 'handler', 'src', 'pipeline.rs');
const RENDER_VERSION = /pub const RENDER_VERSION: u32 = (\d+);/;

/** The service's render version, read from handler/src/pipeline.rs. */
export function renderVersion(file = PIPELINE_RS): number {
  const m = RENDER_VERSION.exec(fs.readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file}: no "pub const RENDER_VERSION: u32 = <n>;"`);
  return Number(m[1]);
}

/** The presets file built into the service (issue 17), when the repository has one. */
export const BUILT_IN_PRESETS = path.join(REPO_ROOT, 'handler', 'presets.json');

/**
 * The files whose bytes enter the salt: the shipped watermarks, the built-in presets file when
 * there is one, and any other file the stage ships (a presets file of its own).
 */
export function saltFiles(watermarksDir: string, extra: string[] = [], builtInPresets = BUILT_IN_PRESETS): string[] {
  const marks = watermarkFiles(watermarksDir).map((f) => path.join(watermarksDir, f));
  return [...marks, ...(fs.existsSync(builtInPresets) ? [builtInPresets] : []), ...extra];
}

/** A boolean Lambda variable as the service reads it (config.rs parse_bool: 1, true, yes, on). */
export function envFlag(environment: Record<string, string>, name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes((environment[name] ?? '').trim().toLowerCase());
}

/**
 * Lambda environment variables that never enter the salt: the salt itself, the result store,
 * and the console switch (it changes no image bytes).
 */
const NOT_IN_SALT = new Set(['IMAGE_SERVICE_EDGE_SALT', 'IMAGE_SERVICE_RESULT_CACHE', 'IMAGE_SERVICE_CONSOLE']);

/**
 * The edge salt: "r" + render version + "-" + 12 hex of sha256 over a stable JSON of what else
 * changes output bytes: the Lambda environment (sorted; values that are deploy-time tokens, such
 * as bucket names, are left out: they are not known at synth and change no bytes) and the bytes
 * of each file (watermarks, presets) by its base name. Any change gives new edge keys; old
 * objects are never read again and expire.
 */
export function edgeSalt(version: number, environment: Record<string, string>, files: string[]): string {
  const env = Object.keys(environment).sort()
    .filter((k) => !NOT_IN_SALT.has(k) && !Token.isUnresolved(environment[k]))
    .map((k) => [k, environment[k]]);
  const digests = [...files].sort()
    .map((f) => [path.basename(f), createHash('sha256').update(fs.readFileSync(f)).digest('hex')]);
  const stable = JSON.stringify({ env, files: digests });
  return `r${version}-${createHash('sha256').update(stable).digest('hex').slice(0, 12)}`;
}

/** No script, frame or plugin runs from a response, even an HTML or SVG file put in a bucket. */
export const EDGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/**
 * Headers for what S3 answers on edge stages. The Lambda sends sniffed image types (never a
 * stored Content-Type) and its own CORS headers (handler/src/http/cors.rs); S3 sends what was
 * stored. So: nosniff and a CSP that lets nothing run, and with corsOrigins the Lambda's CORS
 * rule (Access-Control-Allow-Origin only for a listed origin, or *). originOverride false: where
 * the Lambda answered, its CORS headers win, so its responses keep their meaning.
 */
export function edgeResponsePolicy(scope: Construct, s: StageSettings, methods: string[]): cloudfront.ResponseHeadersPolicy {
  return new cloudfront.ResponseHeadersPolicy(scope, 'EdgeResponseHeaders', {
    comment: `image-service ${s.name}: answers from S3 get nosniff, a CSP and the Lambda's CORS rule`,
    securityHeadersBehavior: {
      contentTypeOptions: { override: true },
      contentSecurityPolicy: { contentSecurityPolicy: EDGE_CSP, override: false },
    },
    corsBehavior: s.corsOrigins.length === 0 ? undefined : {
      accessControlAllowCredentials: false,
      accessControlAllowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'If-Modified-Since'],
      accessControlAllowMethods: [...new Set([...methods, 'OPTIONS'])],
      accessControlAllowOrigins: s.corsOrigins,
      accessControlExposeHeaders: ['ETag', 'Content-Length', 'X-Next-Continuation-Token', 'Server-Timing'],
      originOverride: false,
    },
  });
}

/** The private bucket of rendered results (the Lambda's result cache, read at the edge). */
export function createResultsBucket(scope: Construct, s: StageSettings, logsBucket?: s3.IBucket): s3.Bucket {
  return new s3.Bucket(scope, 'Results', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // A cache: everything in it can be rendered again, so it goes with the stack.
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
    serverAccessLogsBucket: s.accessLogs.s3 ? logsBucket : undefined,
    serverAccessLogsPrefix: s.accessLogs.s3 ? 's3-results/' : undefined,
    lifecycleRules: [
      { id: 'expire-results', expiration: Duration.days(s.resultCache.expireDays) },
      { id: 'incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
  });
}

export interface BucketOrigin {
  readonly id: string;
  readonly bucket: s3.Bucket;
}

/**
 * Adds the bucket origins to the distribution's Origins (after the API origin, which the
 * behaviours use) with one origin access control, Origin Shield when set, and a bucket policy
 * statement letting only this distribution read objects (AWS:SourceArn).
 */
export function attachBucketOrigins(distribution: cloudfront.Distribution, buckets: BucketOrigin[], originShieldRegion?: string): cloudfront.S3OriginAccessControl {
  const stack = Stack.of(distribution);
  const oac = new cloudfront.S3OriginAccessControl(stack, 'BucketOriginsAccessControl', {
    description: `${stack.stackName}: CloudFront reads the originals and results buckets (SigV4)`,
    signing: cloudfront.Signing.SIGV4_ALWAYS,
  });
  const cfn = distribution.node.defaultChild as cloudfront.CfnDistribution;
  const distributionArn = `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${distribution.distributionId}`;
  buckets.forEach(({ id, bucket }, i) => {
    cfn.addPropertyOverride(`DistributionConfig.Origins.${i + 1}`, {
      Id: id,
      DomainName: bucket.bucketRegionalDomainName,
      OriginAccessControlId: oac.originAccessControlId,
      S3OriginConfig: { OriginAccessIdentity: '' },
      ...(originShieldRegion ? { OriginShield: { Enabled: true, OriginShieldRegion: originShieldRegion } } : {}),
    });
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudFrontReadsThroughOac',
      principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: { StringEquals: { 'AWS:SourceArn': distributionArn } },
    }));
  });
  return oac;
}
