import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DEFAULT_PRESETS_FILE, DeliverySettings } from './config';

/** The binary target of the `image-service` package that runs on Lambda. */
export const LAMBDA_BINARY = 'image-service-lambda';
/** Where the watermarks sit inside the Lambda package, relative to /var/task. */
export const PACKAGED_WATERMARKS = 'assets/watermarks';
export const WATERMARKS_DIR_ON_LAMBDA = `/var/task/${PACKAGED_WATERMARKS}`;

/** Where the stage's presets file sits inside the Lambda package (IMAGE_SERVICE_PRESETS). */
export const PACKAGED_PRESETS = 'presets.json';
export const PRESETS_FILE_ON_LAMBDA = `/var/task/${PACKAGED_PRESETS}`;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_WATERMARKS = path.join(REPO_ROOT, 'assets', 'watermarks');
/** The one command that builds the Lambda package (arm64 bootstrap + watermarks). */
export const PACKAGE_SCRIPT = path.join(REPO_ROOT, 'bin', 'package');
/**
 * Test-only: a stand-in for bin/package (the jest tests cannot afford the real build; the
 * real one is synthesized by bin/test-synth-real).
 */
export const PACKAGE_SCRIPT_ENV = 'IMAGE_SERVICE_PACKAGE_SCRIPT';

export interface ServiceFunctionProps
  extends Omit<lambda.FunctionOptions, 'architecture'> {
  /**
   * A directory holding an already built `bootstrap` (e.g. `target/lambda/image-service-lambda`).
   * When set, nothing is compiled: the directory and the watermarks are packaged as they are.
   * When unset, synth runs `bin/package --out <asset dir>`, which builds the arm64 package
   * (bootstrap + the repository's assets/watermarks).
   */
  readonly prebuiltDir?: string;
  /** Watermark PNGs shipped beside a prebuilt bootstrap (bin/package ships assets/watermarks). */
  readonly watermarksDir: string;
  /** The stage's presets file, shipped as /var/task/presets.json. Default: handler/presets.json. */
  readonly presetsFile?: string;
}

/** Copies the presets file into a package directory, where IMAGE_SERVICE_PRESETS points. */
export function packagePresets(presetsFile: string, outputDir: string): void {
  fs.copyFileSync(presetsFile, path.join(outputDir, PACKAGED_PRESETS));
}

/** The Lambda environment of the delivery settings (fm=auto, q=auto, fm=json and presets). */
export function deliveryEnvironment(delivery: DeliverySettings): Record<string, string> {
  return {
    IMAGE_SERVICE_AUTO_FORMAT: String(delivery.autoFormat),
    IMAGE_SERVICE_AVIF_BUDGET_MS: String(delivery.avifBudgetMs),
    IMAGE_SERVICE_AUTO_QUALITY: String(delivery.autoQuality),
    IMAGE_SERVICE_METADATA_GPS: String(delivery.metadataGps),
    IMAGE_SERVICE_PRESETS: PRESETS_FILE_ON_LAMBDA,
    IMAGE_SERVICE_PRESETS_ONLY: String(delivery.presetsOnlyUnsigned),
  };
}

/** Copies a prebuilt Lambda directory and the watermarks into one package directory. */
export function stagePrebuiltPackage(prebuiltDir: string, watermarksDir: string, outputDir: string): void {
  fs.cpSync(prebuiltDir, outputDir, { recursive: true });
  fs.chmodSync(path.join(outputDir, 'bootstrap'), 0o755);
  const target = path.join(outputDir, PACKAGED_WATERMARKS);
  fs.mkdirSync(target, { recursive: true });
  if (fs.existsSync(watermarksDir)) {
    fs.cpSync(watermarksDir, target, { recursive: true });
  }
}

/** Lists the watermark files that will ship (for warnings and tests). */
export function watermarkFiles(watermarksDir: string): string[] {
  if (!fs.existsSync(watermarksDir)) return [];
  return fs.readdirSync(watermarksDir).filter((f) => !f.startsWith('.')).sort();
}

/**
 * Builds the package into `outputDir` with bin/package (or the stand-in named by
 * IMAGE_SERVICE_PACKAGE_SCRIPT) and checks its layout; throws with the build's exit status.
 */
export function runPackageScript(outputDir: string): void {
  const script = process.env[PACKAGE_SCRIPT_ENV] || PACKAGE_SCRIPT;
  // The build's output goes to stderr: stdout may be a template being printed.
  const run = spawnSync(script, ['--out', outputDir], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2], env: process.env });
  if (run.error) throw new Error(`cannot run ${script}: ${run.error.message}`);
  if (run.status !== 0) {
    throw new Error(`${script} --out ${outputDir} failed (${run.signal ?? `exit status ${run.status}`}); see its output above`);
  }
  // bin/package also writes <dir>.zip beside the package; CDK zips the asset itself.
  fs.rmSync(`${outputDir}.zip`, { force: true });
  const bootstrap = path.join(outputDir, 'bootstrap');
  if (!fs.existsSync(bootstrap) || !fs.statSync(bootstrap).isFile()) {
    throw new Error(`${script} did not write ${bootstrap}`);
  }
  if (watermarkFiles(path.join(outputDir, PACKAGED_WATERMARKS)).length === 0) {
    throw new Error(`${script} did not write any watermark under ${path.join(outputDir, PACKAGED_WATERMARKS)}`);
  }
}

/**
 * The service's Lambda function: arm64, provided.al2023, handler `bootstrap`, with the
 * watermarks and the stage's presets file next to the binary. Without `prebuiltDir` the package is built during synth by
 * bin/package, the same command people and the tests run: there is no second build path.
 */
export function createServiceFunction(scope: Construct, id: string, props: ServiceFunctionProps): lambda.Function {
  const { prebuiltDir, watermarksDir, presetsFile = DEFAULT_PRESETS_FILE, ...options } = props;
  const common = {
    ...options,
    runtime: lambda.Runtime.PROVIDED_AL2023,
    architecture: lambda.Architecture.ARM_64,
    handler: 'bootstrap',
  };

  if (prebuiltDir !== undefined) {
    const dir = path.resolve(prebuiltDir);
    const bootstrap = path.join(dir, 'bootstrap');
    if (!fs.existsSync(bootstrap) || !fs.statSync(bootstrap).isFile()) {
      throw new Error(`lambdaAsset: ${dir} has no 'bootstrap' file (build the package with: bin/package --out ${dir})`);
    }
    return new lambda.Function(scope, id, {
      ...common,
      code: locallyBundled(dir, (outputDir) => {
        stagePrebuiltPackage(dir, watermarksDir, outputDir);
        packagePresets(presetsFile, outputDir);
      }),
    });
  }

  // The source path is only where bundling starts from: with an OUTPUT hash nothing in it is
  // fingerprinted, the asset is what bin/package wrote.
  return new lambda.Function(scope, id, {
    ...common,
    code: locallyBundled(REPO_ROOT, (outputDir) => {
      runPackageScript(outputDir);
      packagePresets(presetsFile, outputDir);
    }),
  });
}

/**
 * An asset that `bundle` writes on this machine, hashed by its output. The Docker image is
 * never pulled: local bundling either succeeds or throws and fails the synth.
 */
function locallyBundled(sourceDir: string, bundle: (outputDir: string) => void): lambda.AssetCode {
  return lambda.Code.fromAsset(sourceDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('scratch'),
      local: {
        tryBundle(outputDir: string): boolean {
          bundle(outputDir);
          return true;
        },
      },
    },
  });
}
