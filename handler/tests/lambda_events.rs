//! The Lambda adapter with real API Gateway payloads: REST API (v1) events with a
//! stage, a base64 multipart upload and binary responses, and an HTTP API (v2) event.
//! Each event goes through `lambda_http`'s own conversion both ways, exactly as on
//! Lambda, and the response is checked as the JSON API Gateway receives.

use base64::Engine;
use image_service::auth::tokens::OriginSecrets;
use image_service::Config;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use serde_json::Value;
use test_support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn ignore_stage() {
    // What the Lambda binary and the CDK stack set: routes see `/x.png`, not `/prod/x.png`.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true"));
}

async fn invoke(app: &axum::Router, event_json: &str) -> Value {
    invoke_as(app, event_json, Context::default()).await
}

async fn invoke_as(app: &axum::Router, event_json: &str, context: Context) -> Value {
    let payload: LambdaRequest =
        serde_json::from_str(event_json).expect("a valid API Gateway event");
    let mut adapter = Adapter::from(app.clone());
    let response = adapter
        .call(LambdaEvent::new(payload, context))
        .await
        .expect("the router never fails");
    serde_json::to_value(&response).unwrap()
}

fn body_bytes(resp: &Value) -> Vec<u8> {
    let body = resp["body"].as_str().unwrap_or_default();
    if resp["isBase64Encoded"].as_bool() == Some(true) {
        B64.decode(body).unwrap()
    } else {
        body.as_bytes().to_vec()
    }
}

/// A response header, from `headers` or (REST API responses) `multiValueHeaders`.
fn header<'a>(resp: &'a Value, name: &str) -> Option<&'a str> {
    resp["headers"][name]
        .as_str()
        .or_else(|| resp["multiValueHeaders"][name][0].as_str())
}

#[tokio::test]
async fn rest_api_round_trip_upload_get_transform_delete() {
    ignore_stage();
    let f = TestApp::new();
    let app = f.app.clone();
    let original = include_bytes!("events/lambda.png");

    let up = invoke(&app, include_str!("events/rest_v1_post_multipart.json")).await;
    assert_eq!(up["statusCode"], 200, "{up}");
    let j: Value = serde_json::from_slice(&body_bytes(&up)).unwrap();
    assert_eq!(j["message"], "Images uploaded successfully!");
    // The link uses the host and scheme API Gateway forwarded.
    assert_eq!(
        j["ETags"][0]["link"],
        "https://abc123defg.execute-api.eu-west-1.amazonaws.com/lambda/uploads/lambda.png"
    );
    assert_eq!(
        std::fs::read(f.root.join("lambda/uploads/lambda.png")).unwrap(),
        original
    );

    let get = invoke(&app, include_str!("events/rest_v1_get_original.json")).await;
    assert_eq!(get["statusCode"], 200);
    assert_eq!(
        get["isBase64Encoded"], true,
        "images go back base64-encoded"
    );
    assert_eq!(header(&get, "content-type"), Some("image/png"));
    assert_eq!(body_bytes(&get), original);

    let t = invoke(&app, include_str!("events/rest_v1_get_transformed.json")).await;
    assert_eq!(t["statusCode"], 200);
    assert_eq!(t["isBase64Encoded"], true);
    let img = decode(&body_bytes(&t));
    assert_eq!((img.width(), img.height()), (3, 2));

    let missing = invoke(&app, include_str!("events/rest_v1_get_missing.json")).await;
    assert_eq!(missing["statusCode"], 404);
    assert_eq!(missing["isBase64Encoded"], false, "JSON errors stay text");
    let j: Value = serde_json::from_slice(&body_bytes(&missing)).unwrap();
    assert_eq!(j["code"], "not-found");

    let del = invoke(&app, include_str!("events/rest_v1_delete.json")).await;
    assert_eq!(del["statusCode"], 200, "{del}");
    assert!(!f.root.join("lambda/uploads/lambda.png").exists());
}

/// The app over a store holding the image the GET events name.
async fn with_the_event_image(app: TestApp) -> TestApp {
    let png = include_bytes!("events/lambda.png").to_vec();
    app.put("lambda/uploads/lambda.png", png, "image/png").await;
    app
}

#[tokio::test]
async fn http_api_v2_transformed_get() {
    ignore_stage();
    let f = with_the_event_image(TestApp::new()).await;
    let app = f.app.clone();
    let r = invoke(&app, include_str!("events/http_v2_get_transformed.json")).await;
    assert_eq!(r["statusCode"], 200, "{r}");
    assert_eq!(r["isBase64Encoded"], true);
    assert_eq!(header(&r, "content-type"), Some("image/webp"));
    let img = decode(&body_bytes(&r));
    assert_eq!(img.width(), 2);
}

/// On Lambda the log line carries Lambda's request id, and the origin header CloudFront
/// adds reaches the check through API Gateway's `multiValueHeaders`.
#[tokio::test]
async fn lambda_request_id_is_logged_and_the_origin_header_is_checked() {
    ignore_stage();
    let origin = "origin-cloudfront-0123456789";
    let f = with_the_event_image(TestApp::exact(Config {
        origin_secrets: OriginSecrets::parse(origin).unwrap(),
        ..Config::default()
    }))
    .await;
    let app = f.app.clone();
    let mut context = Context::default();
    context.request_id = "8f5a2c1e-lambda-request-id".into();
    let event = include_str!("events/rest_v1_get_transformed.json");
    let r = invoke_as(&app, event, context.clone()).await;
    assert_eq!(r["statusCode"], 403, "{r}");
    let j: Value = serde_json::from_slice(&body_bytes(&r)).unwrap();
    assert_eq!(j["code"], "forbidden-origin");

    let mut with_header: Value = serde_json::from_str(event).unwrap();
    with_header["headers"]["X-Origin-Verify"] = origin.into();
    with_header["multiValueHeaders"]["X-Origin-Verify"] = serde_json::json!([origin]);
    let r = invoke_as(&app, &with_header.to_string(), context).await;
    assert_eq!(r["statusCode"], 200, "{r}");
    assert!(header(&r, "server-timing").is_some_and(|t| t.contains("encode;dur=")));

    let lines = f.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, status) in lines.iter().zip([403, 200]) {
        let log: Value = serde_json::from_str(line).unwrap();
        assert_eq!(log["request_id"], "8f5a2c1e-lambda-request-id");
        assert_eq!(
            (log["route"].as_str(), log["status"].as_u64()),
            (Some("transform"), Some(status))
        );
    }
}
