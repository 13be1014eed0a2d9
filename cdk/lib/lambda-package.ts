import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';

/** The binary target of the `image-service` package that runs on Lambda. */
export const LAMBDA_BINARY = 'image-service-lambda';
/** Where the watermarks sit inside the Lambda package, relative to /var/task. */
export const PACKAGED_WATERMARKS = 'assets/watermarks';
export const WATERMARKS_DIR_ON_LAMBDA = `/var/task/${PACKAGED_WATERMARKS}`;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_MANIFEST = path.join(REPO_ROOT, 'handler', 'Cargo.toml');
export const DEFAULT_WATERMARKS = path.join(REPO_ROOT, 'assets', 'watermarks');

export interface ServiceFunctionProps
  extends Omit<lambda.FunctionOptions, 'architecture'> {
  /**
   * A directory holding an already built `bootstrap` (e.g. `target/lambda/image-service-lambda`).
   * When set, nothing is compiled: the directory and the watermarks are packaged as they are.
   * When unset, cargo-lambda builds the binary for arm64 during synth.
   */
  readonly prebuiltDir?: string;
  /** Watermark PNGs shipped in the package under assets/watermarks. */
  readonly watermarksDir: string;
  /** Cargo.toml of the package holding the Lambda binary. */
  readonly manifestPath: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
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
 * The service's Lambda function: arm64, provided.al2023, handler `bootstrap`, with the
 * watermarks next to the binary.
 */
export function createServiceFunction(scope: Construct, id: string, props: ServiceFunctionProps): lambda.Function {
  const { prebuiltDir, watermarksDir, manifestPath, ...options } = props;

  if (prebuiltDir !== undefined) {
    const dir = path.resolve(prebuiltDir);
    const bootstrap = path.join(dir, 'bootstrap');
    if (!fs.existsSync(bootstrap) || !fs.statSync(bootstrap).isFile()) {
      throw new Error(`lambdaAsset: ${dir} has no 'bootstrap' file (build it with: cargo lambda build --release --arm64 --bin ${LAMBDA_BINARY})`);
    }
    return new lambda.Function(scope, id, {
      ...options,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(dir, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling below always succeeds (it only copies files).
          image: DockerImage.fromRegistry('scratch'),
          local: {
            tryBundle(outputDir: string): boolean {
              stagePrebuiltPackage(dir, watermarksDir, outputDir);
              return true;
            },
          },
        },
      }),
    });
  }

  return new RustFunction(scope, id, {
    ...options,
    manifestPath,
    binaryName: LAMBDA_BINARY,
    runtime: 'provided.al2023',
    architecture: lambda.Architecture.ARM_64,
    bundling: {
      architecture: lambda.Architecture.ARM_64,
      commandHooks: {
        beforeBundling: () => [],
        afterBundling: (_inputDir: string, outputDir: string) => [
          `mkdir -p ${shellQuote(`${outputDir}/${PACKAGED_WATERMARKS}`)}`,
          `if [ -d ${shellQuote(watermarksDir)} ]; then cp -R ${shellQuote(`${watermarksDir}/.`)} ${shellQuote(`${outputDir}/${PACKAGED_WATERMARKS}/`)}; fi`,
        ],
      },
    },
  });
}
