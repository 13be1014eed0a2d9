// Viewer-request CloudFront Function of the image service's default behaviour
// (runtime cloudfront-js-2.0; cdk/test/edge-function-limits.test.ts checks size and syntax).
// cdk/lib/edge.ts ships it without its comment lines.
// 1. Normalises Accept into x-image-accept: avif | webp | other (the service's rule,
//    handler/src/params/accept.rs), always replacing a viewer-sent value; "other" when the
//    answer cannot depend on it (an original, or an explicit fm other than auto), so those
//    URLs keep one cache entry and one stored result.
// 2. With writes: GET and HEAD lose Authorization, so cached reads never vary on it.
// 3. With edge serving: a GET/HEAD of an original (no query) is tried in the originals
//    bucket, a transform in the results bucket at its edge key (README "Edge key"), each
//    with the API as failover on 403/404. A transform is only rewritten when its
//    signature (when the stage requires one) verifies here; anything this function cannot
//    verify keeps its URI and goes to the API, which answers it.
import cf from 'cloudfront';
import crypto from 'crypto';

// Replaced at synth by cdk/lib/edge.ts (renderViewerFunction): one JSON object on this line.
const CONFIG = {"writes":false,"originals":false,"results":false,"signing":false,"presetsOnly":false,"autoFormat":false,"salt":"r0-test","api":"api","originalsOrigin":"originals","resultsOrigin":"results","failover":[403,404]};

const SIGNING = { s: 1, exp: 1, kid: 1 };
// S3 reads these query parameters itself (subresources, response overrides): never send them there.
const S3_PARAMS = /^(response-|x-amz-)|^(versionid|partnumber|acl|tagging|attributes|torrent|uploadid|uploads|versions)$/i;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

// Rust's str::parse::<f32> on a q value: what does not parse counts as 1; NaN refuses (NaN > 0 is false).
function quality(v) {
    if (/^[+-]?nan$/i.test(v)) return 0;
    if (/^[+-]?inf(inity)?$/i.test(v)) return v.charAt(0) === '-' ? -1 : 1;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return 1;
    return Number(v);
}

// Whether accept lists type explicitly with q > 0 (wildcards never count).
function accepts(accept, type) {
    var ranges = accept.split(',');
    for (var i = 0; i < ranges.length; i++) {
        var parts = ranges[i].split(';');
        if (parts[0].trim().toLowerCase() !== type) continue;
        var q = 1;
        for (var j = 1; j < parts.length; j++) {
            var eq = parts[j].indexOf('=');
            if (eq >= 0 && parts[j].slice(0, eq).trim().toLowerCase() === 'q') {
                q = quality(parts[j].slice(eq + 1).trim());
                break;
            }
        }
        if (q > 0) return true;
    }
    return false;
}

function acceptClass(headers) {
    var h = headers['accept'];
    var accept = '';
    if (h) accept = h.multiValue ? h.multiValue.map(function (m) { return m.value; }).join(',') : h.value;
    if (accepts(accept, 'image/avif')) return 'avif';
    return accepts(accept, 'image/webp') ? 'webp' : 'other';
}

// Every byte except A-Z a-z 0-9 - _ . ~ as %XX (upper case).
function enc(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, function (c) {
        return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    });
}

// The decoded (key, value) pairs: split on &, then on the first =, + is a space.
// null when a component does not decode (the API answers those).
function pairsOf(raw) {
    var out = [];
    var pieces = raw.split('&');
    for (var i = 0; i < pieces.length; i++) {
        if (pieces[i] === '') continue;
        var eq = pieces[i].indexOf('=');
        var k = eq < 0 ? pieces[i] : pieces[i].slice(0, eq);
        var v = eq < 0 ? '' : pieces[i].slice(eq + 1);
        try {
            out.push([decodeURIComponent(k.replace(/\+/g, ' ')), decodeURIComponent(v.replace(/\+/g, ' '))]);
        } catch (e) {
            return null;
        }
    }
    return out;
}

// Whether the answer may be negotiated (fm=auto): a transform with fm=auto, or without fm when
// the stage makes auto the default or a preset (which may hold fm=auto) is asked for.
function negotiable(pairs) {
    if (pairs === null) return true;
    var transform = false, fm = false, auto = false, preset = false;
    for (var i = 0; i < pairs.length; i++) {
        var k = pairs[i][0];
        if (SIGNING[k]) continue;
        transform = true;
        if (k === 'fm') {
            fm = true;
            if (pairs[i][1].toLowerCase() === 'auto') auto = true;
        }
        if (k === 'preset') preset = true;
    }
    return transform && (auto || (!fm && (CONFIG.autoFormat || preset)));
}

// The service's key rules (handler/src/keys.rs): what it would refuse, S3 must not serve.
function validKey(key) {
    if (encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, '.').length > 1024) return false;
    var segments = key.split('/');
    if (segments[0] === '_') return false;
    for (var i = 0; i < segments.length; i++) {
        var seg = segments[i];
        if (seg === '' || seg === '.' || seg === '..' || /[\u0000-\u001f\u007f-\u009f\\]/.test(seg)) return false;
    }
    return true;
}

function sha256(s) {
    return crypto.createHash('sha256').update(s).digest('hex');
}

function sameText(a, b) {
    if (a.length !== b.length) return false;
    var diff = 0;
    for (var i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    return diff === 0;
}

// Fetch from bucketOrigin, and from the API when it answers 403 or 404. Viewer x-amz-* headers
// (SSE-C, request-payer, ...) would change S3's answer without being in the cache key: dropped.
function tryBucket(headers, bucketOrigin) {
    for (var name in headers) {
        if (name.indexOf('x-amz-') === 0) delete headers[name];
    }
    cf.createRequestOriginGroup({
        originIds: [{ originId: bucketOrigin }, { originId: CONFIG.api }],
        failoverCriteria: { statusCodes: CONFIG.failover },
    });
}

async function handler(event) {
    var request = event.request;
    var headers = request.headers;
    var raw = request.rawQueryString();
    var pairs = raw === undefined || raw === '' ? [] : pairsOf(raw);
    var cls = negotiable(pairs) ? acceptClass(headers) : 'other';
    headers['x-image-accept'] = { value: cls };
    delete headers['x-image-edge-path'];
    if (request.method !== 'GET' && request.method !== 'HEAD') return request;
    if (CONFIG.writes) delete headers['authorization'];
    if (!CONFIG.originals && !CONFIG.results) return request;

    var key;
    try {
        key = decodeURIComponent(request.uri.slice(1));
    } catch (e) {
        return request;
    }
    if (!validKey(key)) return request;
    if (raw === undefined || raw === '') {
        if (CONFIG.originals) tryBucket(headers, CONFIG.originalsOrigin);
        return request;
    }
    if (!CONFIG.results || pairs === null) return request;

    var sig = {};
    var signed = [];
    var kept = [];
    var presets = 0;
    var others = 0;
    for (var i = 0; i < pairs.length; i++) {
        var k = pairs[i][0];
        if (S3_PARAMS.test(k)) return request;
        var text = enc(k) + '=' + enc(pairs[i][1]);
        if (SIGNING[k]) {
            if (sig[k] !== undefined) return request;
            sig[k] = pairs[i][1];
        } else {
            kept.push(text);
            if (k === 'preset') presets++;
            else if (!(k === 'fm' && pairs[i][1] === 'auto')) others++;
        }
        if (k !== 's') signed.push(text);
    }
    if (kept.length === 0) return request;
    var path = '/' + key.split('/').map(enc).join('/');

    // Presets-only mode: the service serves unsigned requests for presets alone (plus fm=auto).
    var presetsAlone = CONFIG.presetsOnly && sig.s === undefined && presets > 0 && others === 0;
    if (CONFIG.signing && !presetsAlone) {
        if (sig.s === undefined || sig.kid === undefined || !KEY_ID.test(sig.kid)) return request;
        if (sig.exp !== undefined && !(/^\d{1,15}$/.test(sig.exp) && Number(sig.exp) > Date.now() / 1000)) return request;
        var secret;
        try {
            secret = await cf.kvs().get(sig.kid);
        } catch (e) {
            return request;
        }
        signed.sort();
        var mac = crypto.createHmac('sha256', secret).update(path + '\n' + signed.join('&')).digest('base64url');
        if (!sameText(mac.replace(/=+$/, ''), sig.s.replace(/=+$/, ''))) return request;
    }

    kept.sort();
    var message = path + '\n' + kept.join('&') + '\n' + cls + '\n' + CONFIG.salt;
    headers['x-image-edge-path'] = { value: request.uri };
    request.uri = '/edge/' + sha256(key) + '/' + sha256(message);
    tryBucket(headers, CONFIG.resultsOrigin);
    return request;
}
