import * as fs from 'node:fs';
import * as path from 'node:path';

/** Routes the Lambda can serve; each can be switched off per stage. */
export const ROUTES = ['list', 'get', 'upload', 'delete'] as const;
export type Route = (typeof ROUTES)[number];

/** Retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;
export type PriceClassName = (typeof PRICE_CLASSES)[number];

/**
 * The processing time (`lambda.timeoutSeconds`) before the first byte: CloudFront waits 30 s
 * (its default origin response timeout) for the origin's first byte, and the Lambda sends its
 * first byte once the image is rendered.
 */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 29;
/** API Gateway rejects request bodies over 10 MB. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/**
 * Lambda's synchronous invoke payload is 6 MB, and API Gateway base64-encodes binary bodies
 * (4/3 growth), so uploads above about 4.5 MiB never reach the function.
 */
export const LAMBDA_EFFECTIVE_MAX_UPLOAD_BYTES = Math.floor(((6 * 1024 * 1024 - 32 * 1024) * 3) / 4);
/**
 * Largest response body the Lambda may produce (the service's own Lambda default): it streams
 * every response, and Lambda's streamed-response limit is 200 MB, prelude included.
 */
export const LAMBDA_MAX_OUTPUT_BYTES = 199_000_000;
/** Lambda streams the first 6 MB of a response at full speed, the rest at most 2 MB/s. */
export const LAMBDA_STREAM_BURST_BYTES = 6_000_000;
export const LAMBDA_STREAM_BYTES_PER_SECOND = 2_000_000;
/** The Lambda timeout must leave room for the processing deadline below it. */
export const MIN_LAMBDA_TIMEOUT_SECONDS = 2;

/**
 * The per-request processing deadline the Lambda gets (IMAGE_SERVICE_DEADLINE_MS): 1.5 s below
 * the function timeout, so the Lambda answers with its own error (and its own log line)
 * instead of being killed; at least 1 s.
 */
export function processingDeadlineMs(timeoutSeconds: number): number {
  return Math.max(1000, timeoutSeconds * 1000 - 1500);
}

/**
 * The function's (and the API integration's) timeout: the processing time plus the time to
 * stream the largest allowed body at Lambda's capped rate (2 MB/s past the first 6 MB), plus
 * 2 s. A 199 MB body needs 97 s on top of processing.
 */
export function functionTimeoutSeconds(timeoutSeconds: number, maxOutputBytes: number): number {
  const capped = Math.max(0, maxOutputBytes - LAMBDA_STREAM_BURST_BYTES);
  return timeoutSeconds + Math.ceil(capped / LAMBDA_STREAM_BYTES_PER_SECOND) + 2;
}

/**
 * A secret ARN ending in Secrets Manager's "-" + 6 random characters: the complete ARN of one
 * secret. Anything else (a name, or an ARN without the suffix) matches the secret only with "-??????".
 */
export function isCompleteSecretArn(secretsId: string): boolean {
  return /^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(secretsId);
}

/** Signed-URL modes the Lambda knows (IMAGE_SERVICE_SIGNING). */
export const SIGNING_MODES = ['off', 'required'] as const;
export type SigningMode = (typeof SIGNING_MODES)[number];

export interface LambdaSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency: caps (and guarantees) the function's concurrent executions. */
  readonly reservedConcurrency: number;
  readonly rustLog: string;
}

/** Default reserved concurrency of the service function. */
export const DEFAULT_RESERVED_CONCURRENCY = 100;
/** Default age after which the Lambda re-reads the stage secret (IMAGE_SERVICE_SECRETS_TTL_SECONDS). */
export const DEFAULT_SECRETS_TTL_SECONDS = 300;

export interface LimitSettings {
  readonly maxUploadBytes: number;
  readonly maxInputPixels: number;
  readonly maxInputBytes: number;
  readonly maxInputFrames: number;
  readonly maxOutputBytes: number;
  readonly maxOutputDimension: number;
  readonly maxOperations: number;
}

export interface SigningSettings {
  /** `required`: transformed GETs need a valid HMAC-SHA256 signature (s, exp, kid). */
  readonly mode: SigningMode;
  /** Also require signatures on GETs of originals (no query string). */
  readonly originals: boolean;
}

export interface CacheSettings {
  readonly defaultTtlSeconds: number;
  readonly minTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly browserMaxAgeSeconds: number;
}

export interface BucketSettings {
  readonly retain: boolean;
  readonly publicRead: boolean;
  readonly name?: string;
  /** Days a replaced or deleted original stays recoverable as a noncurrent version. */
  readonly noncurrentVersionDays: number;
}

export interface AccessLogSettings {
  /** API Gateway stage access logs (JSON) and error-level execution logs, in CloudWatch. */
  readonly api: boolean;
  /** CloudFront standard logs, in the log bucket. */
  readonly cloudfront: boolean;
  /** S3 server access logs of the originals bucket, in the log bucket. */
  readonly s3: boolean;
  readonly retentionDays: number;
  readonly createApiGatewayCloudWatchRole: boolean;
}

export interface ApiSettings {
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
}

export interface WafSettings {
  /** The stack creates a CLOUDFRONT-scope web ACL (in us-east-1) and attaches it. */
  readonly enabled: boolean;
  /** Requests per client IP in any 5-minute window above which the IP is blocked. */
  readonly rateLimit: number;
}

export interface CloudFrontSettings {
  readonly priceClass: PriceClassName;
  /** An existing web ACL to attach (exclusive with waf.enabled). */
  readonly webAclArn?: string;
  readonly waf: WafSettings;
  /** CloudFront's additional metrics (cache hit rate, origin latency, error rates per status): billed per distribution. */
  readonly additionalMetrics: boolean;
  /** Origin Shield region applied to every origin (API, originals, results); unset = off. */
  readonly originShieldRegion?: string;
}

export interface EdgeSettings {
  /**
   * CloudFront serves from S3 without the Lambda: originals (when neither signed originals nor
   * an enforced watermark applies) and results the Lambda stored, with the API as failover.
   */
  readonly serveFromS3: boolean;
}

export interface ResultCacheSettings {
  /** The Lambda stores rendered results in the results bucket (IMAGE_SERVICE_RESULT_CACHE). */
  readonly enabled: boolean;
  /** Days after which a stored result expires (lifecycle rule of the results bucket). */
  readonly expireDays: number;
}

export interface AlarmSettings {
  readonly snsTopicArn?: string;
  readonly edgeSnsTopicArn?: string;
  /** E-mail addresses subscribed to the topics the stack creates (when no topic ARN is given). */
  readonly emails: string[];
  readonly lambdaErrorsThreshold: number;
  readonly cloudfront5xxRatePercent: number;
  /** Responses with status >= 500 (EMF metric Errors5xx) in 5 minutes that raise the alarm. */
  readonly errors5xxThreshold: number;
  /** p99 of the transform route's Latency (EMF), in ms, over three 5-minute periods. */
  readonly transformLatencyP99Ms: number;
}

/** A stage; the fm=auto and preset settings are top-level keys too. */
export interface StageSettings extends DeliverySettings {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly domainName: string;
  readonly certificateArn: string;
  readonly corsOrigins: string[];
  readonly routes: Route[];
  readonly lambda: LambdaSettings;
  readonly limits: LimitSettings;
  readonly cache: CacheSettings;
  readonly bucket: BucketSettings;
  readonly logRetentionDays: number;
  readonly accessLogs: AccessLogSettings;
  /** X-Ray active tracing on the Lambda and the API stage. */
  readonly tracing: boolean;
  readonly api: ApiSettings;
  readonly cloudfront: CloudFrontSettings;
  readonly edge: EdgeSettings;
  readonly resultCache: ResultCacheSettings;
  readonly alarms: AlarmSettings;
  readonly signing: SigningSettings;
  /** GET / (listing) needs a write token. */
  readonly listRequiresToken: boolean;
  /** The stage secret (name or ARN): write tokens, signing keys and the origin secret. */
  readonly secretsId: string;
  /** Pins the secret version CloudFront's origin-header reference resolves (forces re-resolution when changed). */
  readonly secretsVersionId?: string;
  /** Age after which the Lambda re-reads the secret; 0 = read once per instance. */
  readonly secretsTtlSeconds: number;
  /** The web console at /_/console, with GET /_/params and POST /_/sign (IMAGE_SERVICE_CONSOLE). */
  readonly console: boolean;
}

/** The stage settings of fm=auto, q=auto, fm=json and presets (top-level keys of a stage). */
export interface DeliverySettings {
  /** A transform without fm means fm=auto (IMAGE_SERVICE_AUTO_FORMAT). */
  readonly autoFormat: boolean;
  /** A negotiated AVIF estimated past this is WebP; 0 = no budget (IMAGE_SERVICE_AVIF_BUDGET_MS). */
  readonly avifBudgetMs: number;
  /** A transform without q (or ll) means q=auto for jpeg, webp and avif (IMAGE_SERVICE_AUTO_QUALITY). */
  readonly autoQuality: boolean;
  /** fm=json includes the EXIF GPS position (IMAGE_SERVICE_METADATA_GPS); off, it is never sent. */
  readonly metadataGps: boolean;
  /** Absolute path of the presets file shipped in the package (IMAGE_SERVICE_PRESETS). */
  readonly presetsFile: string;
  /** Unsigned requests may only ask for presets (IMAGE_SERVICE_PRESETS_ONLY). */
  readonly presetsOnlyUnsigned: boolean;
}

/** The repository's own presets, the default of the presetsFile stage setting. */
export const DEFAULT_PRESETS_FILE = path.resolve(__dirname, '..', '..', 'handler', 'presets.json');
/** IMAGE_SERVICE_AVIF_BUDGET_MS when a stage sets none (the service's own default). */
export const DEFAULT_AVIF_BUDGET_MS = 3000;
const PRESET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks a presets file as far as synth can: a JSON object of preset name to a non-empty query
 * string that does not itself use preset. The service parses every parameter at start.
 */
export function presetsFileProblem(file: string): string | undefined {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return `${file} does not exist`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return `${file} is not JSON (${(e as Error).message})`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return `${file} must be a JSON object of preset name to query string`;
  }
  for (const [name, query] of Object.entries(parsed as Json)) {
    if (!PRESET_NAME.test(name)) return `${file}: preset name ${JSON.stringify(name)} must be 1-64 of A-Z a-z 0-9 _ -`;
    if (typeof query !== 'string' || query.trim() === '') return `${file}: preset '${name}' must be a non-empty query string`;
    if (query.split('&').some((pair) => pair.split('=')[0] === 'preset')) {
      return `${file}: preset '${name}' uses 'preset'; a preset cannot include other presets`;
    }
  }
  return undefined;
}

/** The delivery settings: top-level keys autoFormat, avifBudgetMs, autoQuality, metadataGps, presetsFile, presetsOnlyUnsigned. */
function readDelivery(r: Reader): DeliverySettings {
  const given = r.string('presetsFile', /^.+$/, 'must be a path (absolute, or relative to the repository root)', true);
  const presetsFile = given === undefined ? DEFAULT_PRESETS_FILE : path.resolve(__dirname, '..', '..', given);
  const problem = presetsFileProblem(presetsFile);
  if (problem) r.error('presetsFile', problem);
  return {
    autoFormat: r.bool('autoFormat', false),
    avifBudgetMs: r.int('avifBudgetMs', DEFAULT_AVIF_BUDGET_MS, 0, 600_000) ?? 0,
    autoQuality: r.bool('autoQuality', false),
    metadataGps: r.bool('metadataGps', false),
    presetsFile,
    presetsOnlyUnsigned: r.bool('presetsOnlyUnsigned', false),
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Default location of the checked-in stage settings. */
export const DEFAULT_STAGES_FILE = path.resolve(__dirname, '..', 'config', 'stages.json');

const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const HOSTNAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]+$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/;
const WAF_ARN = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]+\/[a-f0-9-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+$/;
const SECRET_ID = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SECRET_VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

type Json = Record<string, unknown>;

/** Reads one object field by field, collecting every problem instead of stopping at the first. */
class Reader {
  constructor(
    private readonly obj: Json,
    private readonly where: string,
    private readonly errors: string[],
  ) {}

  private seen = new Set<string>();

  private raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  private fail(key: string, message: string): undefined {
    this.errors.push(`${this.where}.${key}: ${message}`);
    return undefined;
  }

  string(key: string, pattern?: RegExp, hint?: string, optional = false): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return optional ? undefined : this.fail(key, 'is required');
    if (typeof v !== 'string' || v.length === 0) return this.fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    if (pattern && !pattern.test(v)) return this.fail(key, `${hint ?? `must match ${pattern}`}, got ${JSON.stringify(v)}`);
    return v;
  }

  int(key: string, def: number | undefined, min: number, max: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return def === undefined ? this.fail(key, 'is required') : def;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(key, `must be an integer, got ${JSON.stringify(v)}`);
    if (v < min || v > max) return this.fail(key, `must be between ${min} and ${max}, got ${v}`);
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  }

  stringList(key: string, def?: string[]): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return def === undefined ? this.fail(key, 'is required') : def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      return this.fail(key, `must be a list of strings, got ${JSON.stringify(v)}`);
    }
    return v as string[];
  }

  object(key: string): Reader {
    const v = this.raw(key);
    if (v === undefined || v === null) return new Reader({}, `${this.where}.${key}`, this.errors);
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail(key, 'must be an object');
      return new Reader({}, `${this.where}.${key}`, this.errors);
    }
    return new Reader(v as Json, `${this.where}.${key}`, this.errors);
  }

  error(key: string, message: string): undefined {
    return this.fail(key, message);
  }

  /** Whether the key is present (marks it as seen). */
  has(key: string): boolean {
    const v = this.raw(key);
    return v !== undefined && v !== null;
  }

  /** Unknown keys are almost always typos: report them. Keys starting with `_` or `$` are comments. */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key) && !key.startsWith('_') && !key.startsWith('$')) {
        this.errors.push(`${this.where}.${key}: unknown setting (see config/stages.example.jsonc)`);
      }
    }
  }
}

function originOk(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin;
}

/** Validates one stage's raw settings; throws a ConfigError listing every problem found. */
export function parseStage(name: string, raw: unknown, file = 'stages.json'): StageSettings {
  const errors: string[] = [];
  const where = `${path.basename(file)}: stages.${name}`;
  if (!STAGE_NAME.test(name)) {
    errors.push(`${where}: stage names are lower-case letters, digits and '-', starting with a letter (max 20)`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where}: must be an object`);
  }
  const r = new Reader(raw as Json, where, errors);

  const account = r.string('account', ACCOUNT, 'must be a 12-digit AWS account id');
  const region = r.string('region', REGION, 'must be an AWS region such as eu-central-1');
  const domainName = r.string('domainName', HOSTNAME, 'must be a lower-case hostname such as images.example.com (no scheme, path or port)');
  const certificateArn = r.string('certificateArn', ACM_ARN, 'must be an ACM certificate ARN (arn:aws:acm:us-east-1:<account>:certificate/<id>)');
  if (certificateArn) {
    const certRegion = ACM_ARN.exec(certificateArn)?.[1];
    if (certRegion !== 'us-east-1') {
      r.error('certificateArn', `CloudFront only accepts ACM certificates from us-east-1, but this one is in ${certRegion}`);
    }
  }

  const corsOrigins = r.stringList('corsOrigins', []) ?? [];
  if (corsOrigins.includes('*')) {
    if (corsOrigins.length > 1) r.error('corsOrigins', '"*" (any origin) must be the only entry');
  } else {
    for (const o of corsOrigins) {
      if (!originOk(o)) {
        r.error('corsOrigins', `${JSON.stringify(o)} is not an origin: use scheme://host[:port] with no path or trailing slash, or ["*"] alone for any origin`);
      }
    }
  }
  if (new Set(corsOrigins).size !== corsOrigins.length) r.error('corsOrigins', 'has duplicates');

  const routesRaw = r.stringList('routes', [...ROUTES]) ?? [];
  const routes: Route[] = [];
  for (const route of routesRaw) {
    if (!(ROUTES as readonly string[]).includes(route)) {
      r.error('routes', `unknown route ${JSON.stringify(route)}; valid routes: ${ROUTES.join(', ')}`);
    } else if (routes.includes(route as Route)) {
      r.error('routes', `route ${JSON.stringify(route)} listed twice`);
    } else {
      routes.push(route as Route);
    }
  }
  if (routesRaw.length === 0) r.error('routes', 'enable at least one route');

  const l = r.object('lambda');
  const lambda: LambdaSettings = {
    memoryMb: l.int('memoryMb', 1769, 128, 10240) ?? 0,
    timeoutSeconds: l.int('timeoutSeconds', 29, MIN_LAMBDA_TIMEOUT_SECONDS, MAX_LAMBDA_TIMEOUT_SECONDS) ?? 0,
    reservedConcurrency: l.int('reservedConcurrency', DEFAULT_RESERVED_CONCURRENCY, 1, 10000) ?? 0,
    rustLog: l.string('rustLog', /^[A-Za-z0-9_=,:.-]+$/, 'must be a RUST_LOG filter such as info', true) ?? 'info',
  };
  l.done();

  const lim = r.object('limits');
  const limits: LimitSettings = {
    maxUploadBytes: lim.int('maxUploadBytes', 4 * 1024 * 1024, 1, API_GATEWAY_MAX_PAYLOAD_BYTES) ?? 0,
    maxInputPixels: lim.int('maxInputPixels', 50_000_000, 1, 1_000_000_000) ?? 0,
    maxInputBytes: lim.int('maxInputBytes', 32 * 1024 * 1024, 1, 10 * 1024 * 1024 * 1024) ?? 0,
    maxInputFrames: lim.int('maxInputFrames', 500, 1, 100_000) ?? 0,
    maxOutputBytes: lim.int('maxOutputBytes', LAMBDA_MAX_OUTPUT_BYTES, 1, LAMBDA_MAX_OUTPUT_BYTES) ?? 0,
    maxOutputDimension: lim.int('maxOutputDimension', 16384, 1, 65535) ?? 0,
    maxOperations: lim.int('maxOperations', 16, 1, 1000) ?? 0,
  };
  lim.done();

  const c = r.object('cache');
  const oneYear = 365 * 24 * 3600;
  const cache: CacheSettings = {
    defaultTtlSeconds: c.int('defaultTtlSeconds', 2_592_000, 0, oneYear) ?? 0,
    minTtlSeconds: c.int('minTtlSeconds', 0, 0, oneYear) ?? 0,
    maxTtlSeconds: c.int('maxTtlSeconds', oneYear, 0, oneYear) ?? 0,
    browserMaxAgeSeconds: c.int('browserMaxAgeSeconds', 2_592_000, 0, oneYear) ?? 0,
  };
  c.done();
  if (!(cache.minTtlSeconds <= cache.defaultTtlSeconds && cache.defaultTtlSeconds <= cache.maxTtlSeconds)) {
    r.error('cache', `needs minTtlSeconds <= defaultTtlSeconds <= maxTtlSeconds, got ${cache.minTtlSeconds} / ${cache.defaultTtlSeconds} / ${cache.maxTtlSeconds}`);
  }

  const b = r.object('bucket');
  const bucket: BucketSettings = {
    retain: b.bool('retain', true),
    publicRead: b.bool('publicRead', false),
    name: b.string('name', BUCKET_NAME, 'must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)', true),
    noncurrentVersionDays: b.int('noncurrentVersionDays', 30, 1, 3650) ?? 0,
  };
  b.done();

  const logRetentionDays = r.int('logRetentionDays', 30, 1, 3653) ?? 30;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    r.error('logRetentionDays', `CloudWatch accepts only ${LOG_RETENTION_DAYS.join(', ')}; got ${logRetentionDays}`);
  }

  const a = r.object('accessLogs');
  if (a.has('enabled')) {
    a.error('enabled', 'was split into accessLogs.api, accessLogs.cloudfront and accessLogs.s3 (each true or false)');
  }
  const accessLogs: AccessLogSettings = {
    api: a.bool('api', false),
    cloudfront: a.bool('cloudfront', false),
    s3: a.bool('s3', false),
    retentionDays: a.int('retentionDays', 90, 1, 3653) ?? 90,
    createApiGatewayCloudWatchRole: a.bool('createApiGatewayCloudWatchRole', false),
  };
  a.done();
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(accessLogs.retentionDays)) {
    r.error('accessLogs', `retentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}; got ${accessLogs.retentionDays}`);
  }
  if (accessLogs.createApiGatewayCloudWatchRole && !accessLogs.api) {
    r.error('accessLogs', 'createApiGatewayCloudWatchRole=true only matters with api=true (the role lets API Gateway write its logs)');
  }
  const tracing = r.bool('tracing', false);

  const ap = r.object('api');
  const api: ApiSettings = {
    throttlingRateLimit: ap.int('throttlingRateLimit', 100, 1, 100_000) ?? 0,
    throttlingBurstLimit: ap.int('throttlingBurstLimit', 200, 1, 100_000) ?? 0,
  };
  ap.done();

  const cf = r.object('cloudfront');
  const priceClass = cf.string('priceClass', new RegExp(`^(${PRICE_CLASSES.join('|')})$`), `must be one of ${PRICE_CLASSES.join(', ')}`, true) ?? 'PriceClass_100';
  const wf = cf.object('waf');
  const waf: WafSettings = {
    enabled: wf.bool('enabled', false),
    rateLimit: wf.int('rateLimit', 2000, 10, 2_000_000_000) ?? 0,
  };
  wf.done();
  const cloudfront: CloudFrontSettings = {
    priceClass: priceClass as PriceClassName,
    webAclArn: cf.string('webAclArn', WAF_ARN, 'must be a WAFv2 web ACL ARN with CLOUDFRONT scope (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)', true),
    waf,
    additionalMetrics: cf.bool('additionalMetrics', false),
    originShieldRegion: cf.string('originShieldRegion', REGION, 'must be an AWS region such as eu-central-1 (where CloudFront offers Origin Shield), or left out', true),
  };
  cf.done();

  const ed = r.object('edge');
  const edge: EdgeSettings = { serveFromS3: ed.bool('serveFromS3', false) };
  ed.done();
  const rc = r.object('resultCache');
  const resultCache: ResultCacheSettings = {
    enabled: rc.bool('enabled', true),
    expireDays: rc.int('expireDays', 30, 1, 3650) ?? 0,
  };
  rc.done();
  if (waf.enabled && cloudfront.webAclArn) {
    r.error('cloudfront', 'set either webAclArn (attach an existing web ACL) or waf.enabled (the stack creates one), not both');
  }

  const al = r.object('alarms');
  const alarms: AlarmSettings = {
    snsTopicArn: al.string('snsTopicArn', SNS_ARN, 'must be an SNS topic ARN', true),
    edgeSnsTopicArn: al.string('edgeSnsTopicArn', SNS_ARN, 'must be an SNS topic ARN in us-east-1', true),
    emails: al.stringList('emails', []) ?? [],
    lambdaErrorsThreshold: al.int('lambdaErrorsThreshold', 5, 1, 1_000_000) ?? 0,
    cloudfront5xxRatePercent: al.int('cloudfront5xxRatePercent', 5, 1, 100) ?? 0,
    errors5xxThreshold: al.int('errors5xxThreshold', 5, 1, 1_000_000) ?? 0,
    transformLatencyP99Ms: al.int('transformLatencyP99Ms', 10_000, 1, 60_000) ?? 0,
  };
  al.done();
  for (const e of alarms.emails) {
    if (!EMAIL.test(e)) r.error('alarms', `emails: ${JSON.stringify(e)} is not an e-mail address`);
  }
  const needsOwnTopic = !alarms.snsTopicArn || (region !== undefined && region !== 'us-east-1' && !alarms.edgeSnsTopicArn);
  if (alarms.emails.length > 0 && !needsOwnTopic) {
    r.error('alarms', 'emails are subscribed to the topics the stack creates, but this stage names its own topics (snsTopicArn/edgeSnsTopicArn): subscribe there instead');
  }
  if (alarms.snsTopicArn && region && SNS_ARN.exec(alarms.snsTopicArn)?.[1] !== region) {
    r.error('alarms', `snsTopicArn must be in the stage region ${region} (alarms notify topics in their own region)`);
  }
  if (alarms.edgeSnsTopicArn && SNS_ARN.exec(alarms.edgeSnsTopicArn)?.[1] !== 'us-east-1') {
    r.error('alarms', 'edgeSnsTopicArn must be in us-east-1, where CloudFront metrics and their alarms live');
  }

  const sg = r.object('signing');
  const mode = sg.string('mode', new RegExp(`^(${SIGNING_MODES.join('|')})$`), `must be one of ${SIGNING_MODES.join(', ')}`, true) ?? 'off';
  const signing: SigningSettings = {
    mode: mode as SigningMode,
    originals: sg.bool('originals', false),
  };
  sg.done();
  const listRequiresToken = r.bool('listRequiresToken', true);

  // Every deployed stage needs the secret: CloudFront sends its "originSecret" field as
  // X-Origin-Verify and the Lambda refuses to start without one (IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET).
  const secretsMissing = (raw as Json).secretsId === undefined || (raw as Json).secretsId === null;
  const secretsId = secretsMissing
    ? r.error('secretsId', `is required for every stage: CloudFront sends the secret's "originSecret" field as X-Origin-Verify and the Lambda refuses to start without it; it also holds the write tokens and signing keys. Create the secret (e.g. "image-service/${name}", see cdk/README.md#secrets) and name it here`)
    : r.string('secretsId', SECRET_ID, 'must be a Secrets Manager secret name or ARN', true);
  if (secretsId && SECRET_ARN.test(secretsId)) {
    const [, secretRegion, secretAccount] = SECRET_ARN.exec(secretsId)!;
    if ((region && secretRegion !== region) || (account && secretAccount !== account)) {
      r.error('secretsId', `must be in the stage account and region (${account}, ${region}): the Lambda reads it there; got ${secretAccount}, ${secretRegion}`);
    }
  }
  const secretsVersionId = r.string('secretsVersionId', SECRET_VERSION_ID, 'must be a Secrets Manager version id (32-64 letters, digits and hyphens)', true);
  const secretsTtlSeconds = r.int('secretsTtlSeconds', DEFAULT_SECRETS_TTL_SECONDS, 0, 86_400) ?? 0;
  if (signing.originals && signing.mode !== 'required') {
    r.error('signing', 'originals=true has no effect unless mode is "required"');
  }
  if (edge.serveFromS3 && !resultCache.enabled && signing.originals) {
    r.error('edge', 'serveFromS3=true would serve nothing from S3: originals need signatures (signing.originals) and resultCache.enabled is false');
  }
  const delivery = readDelivery(r);
  const consoleOn = r.bool('console', false);
  if (consoleOn && !(routes.includes('get') && routes.includes('upload'))) {
    r.error('console', 'needs the get and upload routes: the page and GET /_/params are GETs, and signing in and copying URLs use POST /_/sign, which API Gateway routes with the upload route\'s POST method');
  }

  r.done();

  if (errors.length > 0) {
    throw new ConfigError(`Invalid settings for stage "${name}":\n  - ${errors.join('\n  - ')}`);
  }

  return {
    name,
    account: account!,
    region: region!,
    domainName: domainName!,
    certificateArn: certificateArn!,
    corsOrigins,
    routes,
    lambda,
    limits,
    cache,
    bucket,
    logRetentionDays,
    accessLogs,
    tracing,
    api,
    cloudfront,
    edge,
    resultCache,
    alarms,
    signing,
    listRequiresToken,
    secretsId: secretsId!,
    secretsVersionId,
    secretsTtlSeconds,
    console: consoleOn,
    ...delivery,
  };
}

/** Reads the stages file; returns the raw stage objects keyed by name. */
export function readStagesFile(file: string = DEFAULT_STAGES_FILE): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read stage settings ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const stages = (doc as Json | null)?.stages;
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages) || Object.keys(stages).length === 0) {
    throw new ConfigError(`${file} must hold an object {"stages": {"<name>": {...}}} with at least one stage`);
  }
  return stages as Record<string, unknown>;
}

export function stageNames(file: string = DEFAULT_STAGES_FILE): string[] {
  return Object.keys(readStagesFile(file));
}

/** Selects and validates one stage; a missing or unknown stage name is an error naming the valid ones. */
export function loadStage(stage: string | undefined, file: string = DEFAULT_STAGES_FILE): StageSettings {
  const stages = readStagesFile(file);
  const valid = Object.keys(stages).join(', ');
  if (stage === undefined || stage === '') {
    throw new ConfigError(`No stage selected: pass -c stage=<name> (valid stages in ${path.basename(file)}: ${valid})`);
  }
  if (!Object.prototype.hasOwnProperty.call(stages, stage)) {
    throw new ConfigError(`Unknown stage "${stage}" (valid stages in ${path.basename(file)}: ${valid})`);
  }
  return parseStage(stage, stages[stage], file);
}
