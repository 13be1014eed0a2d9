//! The values that rotate: write tokens, signing keys and the accepted origin-verify
//! values. They come from the environment ([`Config`]) and, when
//! `IMAGE_SERVICE_SECRETS_ID` names a Secrets Manager secret, from its JSON
//! SecretString, whose fields replace the variables of the same meaning:
//!
//! ```json
//! {"writeTokens": "t1,t2", "signingKeys": "kid:secret,...",
//!  "originSecret": "<value CloudFront sends>", "previousOriginSecrets": "old1,old2"}
//! ```
//!
//! Every field is optional; the accepted origin values are `originSecret` ∪
//! `previousOriginSecrets` ∪ `IMAGE_SERVICE_ORIGIN_SECRETS`.
//!
//! The secret is read once before the service answers anything (a failure stops the
//! start), and again when the values are older than the TTL: the first request after
//! that starts one background read and carries on with the values it has, so no
//! request waits on Secrets Manager. A failed read keeps the last good values and logs
//! an error. [`Config`] stays plain data; the current values live here, behind a lock
//! that is only held to clone an `Arc`.

use crate::config::credentials::{self, OriginSecrets, SigningKey, WriteTokens};
use crate::config::{Config, SigningMode};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Longest a single read of the secret may take (all retries included).
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The credentials in force at one moment.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub write_tokens: WriteTokens,
    /// The first one signs (`image-service sign`); all verify.
    pub signing_keys: Vec<SigningKey>,
    /// Accepted `X-Origin-Verify` values; empty: the check is off.
    pub origin: OriginSecrets,
}

/// The SecretString's fields; absent ones leave the environment's value in place.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretFields {
    write_tokens: Option<String>,
    signing_keys: Option<String>,
    origin_secret: Option<String>,
    previous_origin_secrets: Option<String>,
}

impl Secrets {
    /// The values of the environment alone.
    pub fn from_config(config: &Config) -> Secrets {
        Secrets {
            write_tokens: config.write_tokens.clone(),
            signing_keys: config.signing_keys.clone(),
            origin: config.origin_secrets.clone(),
        }
    }

    /// The environment's values with the secret's fields laid over them, checked
    /// against what the configuration requires. Errors never quote a value.
    pub fn from_secret_string(config: &Config, json: &str) -> Result<Secrets, String> {
        let fields: SecretFields = serde_json::from_str(json).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Data => "a JSON object whose fields are strings",
                _ => "valid JSON",
            };
            format!(
                "the SecretString is not {what} (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let mut s = Secrets::from_config(config);
        if let Some(v) = fields.write_tokens {
            s.write_tokens = WriteTokens::parse(&v).map_err(|e| format!("writeTokens: {e}"))?;
        }
        if let Some(v) = fields.signing_keys {
            s.signing_keys =
                credentials::parse_keys(&v).map_err(|e| format!("signingKeys: {e}"))?;
        }
        for (name, value) in [
            ("originSecret", &fields.origin_secret),
            ("previousOriginSecrets", &fields.previous_origin_secrets),
        ] {
            if let Some(v) = value {
                let values = OriginSecrets::parse(v).map_err(|e| format!("{name}: {e}"))?;
                s.origin = s.origin.union(&values);
            }
        }
        s.check(config)?;
        Ok(s)
    }

    /// What the configuration needs from the secret.
    fn check(&self, config: &Config) -> Result<(), String> {
        if config.signing == SigningMode::Required && self.signing_keys.is_empty() {
            return Err("IMAGE_SERVICE_SIGNING=required and there is no signing key (IMAGE_SERVICE_SIGNING_KEYS or the secret's signingKeys)".into());
        }
        if config.require_origin_secret && self.origin.is_empty() {
            return Err("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET=true and there is no origin secret (the secret's originSecret or IMAGE_SERVICE_ORIGIN_SECRETS)".into());
        }
        Ok(())
    }
}

/// Where refreshed values come from.
struct Source {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    ttl: Duration,
    config: Config,
    /// When the last read started.
    read_at: Mutex<Instant>,
    reading: AtomicBool,
    reads: AtomicU64,
    failures: AtomicU64,
}

impl Source {
    async fn read(&self) -> Result<Secrets, String> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "IMAGE_SERVICE_SECRETS_ID={}: cannot read the secret: {}",
                    self.secret_id,
                    DisplayErrorContext(&e)
                )
            })?;
        let json = out.secret_string().ok_or_else(|| {
            format!(
                "IMAGE_SERVICE_SECRETS_ID={}: the secret has no SecretString (a binary secret?)",
                self.secret_id
            )
        })?;
        Secrets::from_secret_string(&self.config, json)
            .map_err(|e| format!("IMAGE_SERVICE_SECRETS_ID={}: {e}", self.secret_id))
    }
}

/// Successful and failed reads of the secret so far (the first one included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadCounts {
    pub reads: u64,
    pub failures: u64,
}

/// The current [`Secrets`], shared by every request, and how to refresh them.
pub struct SharedSecrets {
    current: RwLock<Arc<Secrets>>,
    source: Option<Source>,
}

impl SharedSecrets {
    /// Values that never change (no secret configured, or tests).
    pub fn fixed(secrets: Secrets) -> Arc<SharedSecrets> {
        Arc::new(SharedSecrets {
            current: RwLock::new(Arc::new(secrets)),
            source: None,
        })
    }

    /// What the binaries call during init: with `IMAGE_SERVICE_SECRETS_ID`, one read of
    /// the secret through a client built from the standard AWS environment (endpoint
    /// from `AWS_ENDPOINT_URL_SECRETS_MANAGER` or `AWS_ENDPOINT_URL`); otherwise the
    /// environment's values.
    pub async fn from_env(config: &Config) -> Result<Arc<SharedSecrets>, String> {
        if config.secrets_id.is_none() {
            let secrets = Secrets::from_config(config);
            secrets.check(config)?;
            return Ok(SharedSecrets::fixed(secrets));
        }
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let conf = aws_sdk_secretsmanager::config::Builder::from(&shared)
            .timeout_config(
                aws_sdk_secretsmanager::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(READ_TIMEOUT)
                    .build(),
            )
            .build();
        SharedSecrets::load(config, aws_sdk_secretsmanager::Client::from_conf(conf)).await
    }

    /// Reads `config.secrets_id` once through `client`; later reads use it too.
    pub async fn load(
        config: &Config,
        client: aws_sdk_secretsmanager::Client,
    ) -> Result<Arc<SharedSecrets>, String> {
        let secret_id = config
            .secrets_id
            .clone()
            .ok_or("IMAGE_SERVICE_SECRETS_ID is not set")?;
        let source = Source {
            client,
            secret_id,
            ttl: config.secrets_ttl,
            config: config.clone(),
            read_at: Mutex::new(Instant::now()),
            reading: AtomicBool::new(false),
            reads: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        };
        let secrets = source.read().await?;
        source.reads.fetch_add(1, Ordering::Relaxed);
        *source.read_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        tracing::info!(
            secret = %source.secret_id,
            write_tokens = secrets.write_tokens.len(),
            signing_keys = secrets.signing_keys.len(),
            origin_secrets = secrets.origin.len(),
            "read the secrets"
        );
        Ok(Arc::new(SharedSecrets {
            current: RwLock::new(Arc::new(secrets)),
            source: Some(source),
        }))
    }

    /// The values in force. When they are older than the TTL, starts one background
    /// read (this call does not wait for it).
    pub fn current(self: &Arc<Self>) -> Arc<Secrets> {
        if let Some(source) = &self.source {
            if self.is_stale(source) {
                self.start_refresh(source);
            }
        }
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn read_counts(&self) -> ReadCounts {
        self.source
            .as_ref()
            .map(|s| ReadCounts {
                reads: s.reads.load(Ordering::Relaxed),
                failures: s.failures.load(Ordering::Relaxed),
            })
            .unwrap_or_default()
    }

    fn is_stale(&self, source: &Source) -> bool {
        !source.ttl.is_zero()
            && source
                .read_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .elapsed()
                >= source.ttl
    }

    fn start_refresh(self: &Arc<Self>, source: &Source) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if source
            .reading
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        // The next read is due a TTL after this one started, whether it works or not.
        *source.read_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let this = Arc::clone(self);
        runtime.spawn(async move {
            let Some(source) = &this.source else { return };
            match source.read().await {
                Ok(secrets) => {
                    *this.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(secrets);
                    source.reads.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(secret = %source.secret_id, "refreshed the secrets");
                }
                Err(e) => {
                    source.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(
                        error = %e,
                        "refreshing the secrets failed; the last good values stay in force"
                    );
                }
            }
            source.reading.store(false, Ordering::Release);
        });
    }
}

impl std::fmt::Debug for SharedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = self.source.as_ref().map(|s| s.secret_id.as_str());
        write!(f, "SharedSecrets(secret: {secret:?}, <redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-from-env-0123456789";

    fn env_config() -> Config {
        Config {
            write_tokens: WriteTokens::parse(TOKEN).unwrap(),
            origin_secrets: OriginSecrets::parse("origin-env-0123456789").unwrap(),
            ..Config::default()
        }
    }

    #[test]
    fn fields_replace_the_environment_and_origins_add_up() {
        let c = env_config();
        let s = Secrets::from_secret_string(
            &c,
            r#"{"writeTokens": "tok-from-secret-0123456789", "signingKeys": "k1:0123456789abcdef",
                "originSecret": "origin-new-0123456789", "previousOriginSecrets": "origin-old-0123456789",
                "somethingElse": "ignored"}"#,
        )
        .unwrap();
        assert!(s.write_tokens.accepts("tok-from-secret-0123456789"));
        assert!(!s.write_tokens.accepts(TOKEN));
        assert_eq!(s.signing_keys[0].id, "k1");
        for v in ["new", "old", "env"] {
            assert!(s.origin.accepts(&format!("origin-{v}-0123456789")), "{v}");
        }
        // Absent fields keep the environment's values.
        let s = Secrets::from_secret_string(&c, "{}").unwrap();
        assert!(s.write_tokens.accepts(TOKEN));
        assert_eq!(s.origin.len(), 1);
    }

    #[test]
    fn bad_secrets_are_refused_without_quoting_values() {
        let c = Config::default();
        for (json, expect) in [
            ("tok-aaaaaaaaaaaaaaaaaaaa", "not valid JSON"),
            (
                r#"{"writeTokens": 12345678901234567}"#,
                "fields are strings",
            ),
            (r#"{"writeTokens": "short-secret"}"#, "writeTokens"),
            (r#"{"signingKeys": "k1:short-secret"}"#, "signingKeys"),
            (r#"{"originSecret": "short-secret"}"#, "originSecret"),
        ] {
            let e = Secrets::from_secret_string(&c, json).unwrap_err();
            assert!(e.contains(expect), "{json}: {e}");
            assert!(
                !e.contains("short-secret") && !e.contains("12345678901234567"),
                "{e}"
            );
        }
        let strict = Config {
            signing: SigningMode::Required,
            require_origin_secret: true,
            ..Config::default()
        };
        let e =
            Secrets::from_secret_string(&strict, r#"{"originSecret": "origin-0123456789abcdef"}"#)
                .unwrap_err();
        assert!(e.contains("signingKeys"), "{e}");
        let e = Secrets::from_secret_string(&strict, r#"{"signingKeys": "k:0123456789abcdef"}"#)
            .unwrap_err();
        assert!(e.contains("originSecret"), "{e}");
    }

    #[test]
    fn fixed_values_never_refresh_and_debug_is_redacted() {
        let shared = SharedSecrets::fixed(Secrets::from_config(&env_config()));
        assert!(shared.current().write_tokens.accepts(TOKEN));
        assert_eq!(shared.read_counts(), ReadCounts::default());
        assert!(!format!("{shared:?} {:?}", shared.current()).contains("tok-from"));
    }
}
