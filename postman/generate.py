#!/usr/bin/env python3
"""Writes image-service.postman_collection.json.

The collection is generated so the Transforms folder follows the one table of
parameters shared with the Rust suite (../integration-tests/transforms.json): add a row
there, run `python3 postman/generate.py`, commit both. `--check` fails when the
committed collection is out of date (bin/test-newman runs it).

Edit requests and scripts here, not in the Postman app (or port an app edit back here).
"""

import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "integration-tests", "transforms.json")
OUT = os.path.join(HERE, "image-service.postman_collection.json")
FIXTURES = os.path.join(HERE, "fixtures")

# Fixtures uploaded by the collection (files in fixtures/; a multipart part's file
# name is the file's own name).
SINGLE = "postman-fixture.png"  # the environments' `filename`
SEVERAL = ["several-1.jpg", "several-2.gif"]
OTHER_BYTES_DIR = "other-bytes"  # fixtures/other-bytes/<SINGLE>: same name, other bytes
NOT_IMAGE = "notes.txt"


def size(name):
    return os.path.getsize(os.path.join(FIXTURES, name))


# ---------------------------------------------------------------- script snippets

# Runs before every request: the credentials, when the environment has them.
COLLECTION_PRE = r"""
const token = pm.variables.get('token');
if (token) {
    pm.request.headers.upsert({ key: 'Authorization', value: 'Bearer ' + token });
}
"""

# Runs after every request: every error answer has the documented JSON shape.
COLLECTION_TEST = r"""
if (pm.response.code >= 400) {
    pm.test('[' + pm.info.requestName + '] error is JSON {status, code, message}', function () {
        pm.expect(pm.response.headers.get('Content-Type')).to.eql('application/json');
        const body = pm.response.json();
        pm.expect(Object.keys(body).sort()).to.eql(['code', 'message', 'status']);
        pm.expect(body.status).to.eql(pm.response.code);
        pm.expect(body.code).to.match(/^[a-z]+(-[a-z]+)*$/);
        pm.expect(body.message).to.be.a('string').and.not.empty;
    });
}
"""

# Sniffs an image: {format, width, height} from the bytes (width/height null when the
# format's header is not parsed). Stored in a collection variable and eval'd by the
# requests that need it (Postman scripts share no functions).
IMAGE_INFO = r"""
(function imageInfo(b) {
    const ascii = (s, e) => b.slice(s, e).toString('latin1');
    if (b.length > 24 && b[0] === 0x89 && ascii(1, 4) === 'PNG') {
        return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    }
    if (b.length > 10 && ascii(0, 4) === 'GIF8') {
        return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
    }
    if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) {
        let i = 2;
        while (i + 9 < b.length) {
            if (b[i] !== 0xff) { i++; continue; }
            const m = b[i + 1];
            if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
                return { format: 'jpeg', width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
            }
            if (m === 0xff) { i++; continue; }
            if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
            i += 2 + b.readUInt16BE(i + 2);
        }
        return { format: 'jpeg', width: null, height: null };
    }
    if (b.length > 30 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') {
        const chunk = ascii(12, 16);
        if (chunk === 'VP8 ') return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
        if (chunk === 'VP8L') {
            const bits = b.readUInt32LE(21);
            return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
        }
        if (chunk === 'VP8X') return { format: 'webp', width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
        return { format: 'webp', width: null, height: null };
    }
    if (b.length > 8 && (ascii(0, 4) === 'II*\u0000' || ascii(0, 4) === 'MM\u0000*')) {
        const le = b[0] === 0x49;
        const u16 = (o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
        const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
        const ifd = u32(4);
        const info = { format: 'tiff', width: null, height: null };
        for (let n = 0; n < u16(ifd); n++) {
            const e = ifd + 2 + n * 12;
            const value = u16(e + 2) === 3 ? u16(e + 8) : u32(e + 8);
            if (u16(e) === 256) info.width = value;
            if (u16(e) === 257) info.height = value;
        }
        return info;
    }
    if (b.length > 12 && ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) {
        return { format: 'avif', width: null, height: null };
    }
    return { format: 'unknown', width: null, height: null };
})
""".strip()


def lines(text):
    return [line for line in text.strip("\n").split("\n")]


def event(listen, code):
    return {"listen": listen, "script": {"type": "text/javascript", "exec": lines(code)}}


def js(value):
    return json.dumps(value)


# ---------------------------------------------------------------- request builders


def request(name, method, url, tests, pre=None, headers=None, body=None, description=None):
    item = {
        "name": name,
        "event": [event("test", tests)] + ([event("prerequest", pre)] if pre else []),
        "request": {
            "method": method,
            "header": [{"key": k, "value": v} for k, v in (headers or [])],
            "url": url,
        },
        "response": [],
    }
    if body is not None:
        item["request"]["body"] = body
    if description:
        item["request"]["description"] = description
    return item


def folder(name, items, description=None):
    f = {"name": name, "item": items}
    if description:
        f["description"] = description
    return f


def files_body(files, field="data"):
    return {
        "mode": "formdata",
        "formdata": [{"key": field, "type": "file", "src": f"fixtures/{f}"} for f in files],
    }


def raw_json(value):
    return {"mode": "raw", "raw": value, "options": {"raw": {"language": "json"}}}


def status_is(code):
    return f"pm.test('status {code}', () => pm.response.to.have.status({code}));"


def error_is(code, status):
    return f"""{status_is(status)}
pm.test('code {code}', () => pm.expect(pm.response.json().code).to.eql({js(code)}));"""


JSON_CT = "pm.test('Content-Type application/json', () => pm.expect(pm.response.headers.get('Content-Type')).to.eql('application/json'));"


def encode_query(query):
    """`a=1&b={"x":1}` with values percent-encoded; `{src}` becomes the run's originals."""
    marker = "SRCMARKER"
    parts = []
    for pair in query.replace("{src}", marker).split("&"):
        if "=" in pair:
            k, v = pair.split("=", 1)
            v = urllib.parse.quote(v, safe="").replace(marker, "{{runPath}}/src")
            parts.append(f"{k}={v}")
        else:
            parts.append(pair)
    return "&".join(parts)


# ---------------------------------------------------------------- the folders


def setup_folder():
    pre = r"""
// One folder per run, so runs never collide and cleanup knows what to remove.
const run = 'run-' + Date.now() + '-' + Math.floor(Math.random() * 1e6);
pm.collectionVariables.set('runPath', pm.variables.get('path') + '/' + run);
"""
    tests = f"""{status_is(200)}
{JSON_CT}
pm.test('health body', () => {{
    const body = pm.response.json();
    pm.expect(body.status).to.eql('ok');
    pm.expect(body.version).to.be.a('string').and.not.empty;
    pm.expect(['fs', 's3']).to.include(body.store);
}});
"""
    return folder(
        "Setup",
        [request("Health (and start the run)", "GET", "{{baseUrl}}/_/health", tests, pre=pre)],
        "Checks the service answers and picks the run's folder `{{path}}/run-…` (collection variable `runPath`).",
    )


def uploads_folder():
    single_tests = f"""{status_is(200)}
{JSON_CT}
pm.test('upload answer', () => {{
    const body = pm.response.json();
    pm.expect(body).to.include({{ status: 200, code: 'success', message: 'Images uploaded successfully!' }});
    // newman only warns when a fixture file is missing: make sure one file really went up.
    pm.expect(body.ETags).to.be.an('array').with.lengthOf(1);
    pm.expect(body.ETags[0].link).to.match(/^https?:\\/\\//);
    pm.expect(decodeURIComponent(body.ETags[0].link)).to.satisfy((l) => l.endsWith('/' + pm.variables.get('runPath') + '/' + pm.variables.get('filename')));
    pm.expect(body.ETags[0].ETag).to.be.a('string').and.not.empty;
    pm.collectionVariables.set('uploadedLink', body.ETags[0].link);
}});
"""
    get_tests = f"""{status_is(200)}
pm.test('Content-Type image/png', () => pm.expect(pm.response.headers.get('Content-Type')).to.eql('image/png'));
pm.test('the uploaded bytes come back (size {size(SINGLE)})', () => {{
    pm.expect(Number(pm.response.headers.get('Content-Length'))).to.eql({size(SINGLE)});
    pm.expect(pm.response.stream.length).to.eql({size(SINGLE)});
    const info = eval(pm.collectionVariables.get('imageInfo'))(pm.response.stream);
    pm.expect(info.format).to.eql('png');
}});
pm.test('cache and validator headers', () => {{
    pm.expect(pm.response.headers.get('Cache-Control')).to.eql('public, max-age=' + pm.variables.get('cacheMaxAge'));
    pm.expect(pm.response.headers.get('ETag')).to.match(/^".+"$/);
    pm.expect(pm.response.headers.get('Last-Modified')).to.match(/GMT$/);
}});
pm.collectionVariables.set('originalEtag', pm.response.headers.get('ETag'));
pm.collectionVariables.set('originalLastModified', pm.response.headers.get('Last-Modified'));
"""
    head_tests = f"""{status_is(200)}
pm.test('headers without a body', () => {{
    pm.expect(pm.response.headers.get('Content-Type')).to.eql('image/png');
    pm.expect(Number(pm.response.headers.get('Content-Length'))).to.eql({size(SINGLE)});
    pm.expect(pm.response.stream ? pm.response.stream.length : 0).to.eql(0);
}});
"""
    not_modified = f"""{status_is(304)}
pm.test('no body, same ETag', () => {{
    pm.expect(pm.response.stream ? pm.response.stream.length : 0).to.eql(0);
    pm.expect(pm.response.headers.get('ETag')).to.eql(pm.variables.get('originalEtag'));
}});
"""
    several_tests = f"""{status_is(200)}
{JSON_CT}
pm.test('two files stored', () => {{
    const body = pm.response.json();
    pm.expect(body.code).to.eql('success');
    pm.expect(body.ETags).to.be.an('array').with.lengthOf(2);
    pm.expect(body.ETags[0].link).to.satisfy((l) => l.endsWith('/several/{SEVERAL[0]}'));
    pm.expect(body.ETags[1].link).to.satisfy((l) => l.endsWith('/several/{SEVERAL[1]}'));
}});
"""
    get_several = f"""{status_is(200)}
pm.test('Content-Type image/gif and the uploaded size', () => {{
    pm.expect(pm.response.headers.get('Content-Type')).to.eql('image/gif');
    pm.expect(pm.response.stream.length).to.eql({size(SEVERAL[1])});
}});
"""
    retry_tests = f"""{status_is(200)}
{JSON_CT}
pm.test('a retry with the same bytes answers as the first upload', () => {{
    const body = pm.response.json();
    pm.expect(body).to.include({{ status: 200, code: 'success', message: 'Images uploaded successfully!' }});
    pm.expect(body.ETags).to.be.an('array').with.lengthOf(1);
    pm.expect(body.ETags[0].link).to.eql(pm.variables.get('uploadedLink'));
    pm.expect('"' + body.ETags[0].ETag + '"').to.eql(pm.variables.get('originalEtag'));
}});
"""
    conflict = f"""{error_is("already-exists", 409)}
pm.test('names the existing file', () => pm.expect(pm.response.json().message).to.include(pm.variables.get('filename')));
"""
    big_pre = r"""
// A multipart body one KiB over the upload limit, built here so no big file is committed.
const boundary = 'postman-413-boundary';
const limit = Number(pm.variables.get('maxUploadBytes'));
const head = '--' + boundary + '\r\nContent-Disposition: form-data; name="data"; filename="too-big.png"\r\nContent-Type: image/png\r\n\r\n';
const tail = '\r\n--' + boundary + '--\r\n';
pm.request.headers.upsert({ key: 'Content-Type', value: 'multipart/form-data; boundary=' + boundary });
pm.request.body.update({ mode: 'raw', raw: head + 'x'.repeat(limit + 1024) + tail });
"""
    bad_name_body = (
        "--postman-400-boundary\r\n"
        'Content-Disposition: form-data; name="data"; filename="../escape.png"\r\n'
        "Content-Type: image/png\r\n\r\nGIF89a-not-really\r\n--postman-400-boundary--\r\n"
    )
    mp = [("Content-Type", "multipart/form-data; boundary=postman-400-boundary")]
    return folder(
        "Uploads",
        [
            request("Upload single", "POST", "{{baseUrl}}/{{runPath}}", single_tests, body=files_body([SINGLE])),
            request("Get uploaded original", "GET", "{{baseUrl}}/{{runPath}}/{{filename}}", get_tests),
            request("Head uploaded original", "HEAD", "{{baseUrl}}/{{runPath}}/{{filename}}", head_tests),
            request(
                "Get original 304 (If-None-Match)", "GET", "{{baseUrl}}/{{runPath}}/{{filename}}", not_modified,
                headers=[("If-None-Match", "{{originalEtag}}")],
            ),
            request(
                "Get original 304 (If-Modified-Since)", "GET", "{{baseUrl}}/{{runPath}}/{{filename}}", status_is(304),
                headers=[("If-Modified-Since", "{{originalLastModified}}")],
            ),
            request(
                "Get original 200 (stale If-None-Match)", "GET", "{{baseUrl}}/{{runPath}}/{{filename}}",
                status_is(200) + f"\npm.test('full body', () => pm.expect(pm.response.stream.length).to.eql({size(SINGLE)}));",
                headers=[("If-None-Match", '"not-the-etag"')],
            ),
            request("Upload several", "POST", "{{baseUrl}}/{{runPath}}/several", several_tests, body=files_body(SEVERAL)),
            request("Get one of several", "GET", "{{baseUrl}}/{{runPath}}/several/" + SEVERAL[1], get_several),
            request("Upload again, same bytes 200", "POST", "{{baseUrl}}/{{runPath}}", retry_tests, body=files_body([SINGLE])),
            request(
                "Upload existing name, other bytes 409", "POST", "{{baseUrl}}/{{runPath}}", conflict,
                body=files_body([f"{OTHER_BYTES_DIR}/{SINGLE}"]),
            ),
            request(
                "Upload over the limit 413", "POST", "{{baseUrl}}/{{runPath}}/big",
                error_is("payload-too-large", 413), pre=big_pre, body={"mode": "raw", "raw": ""},
            ),
            request(
                "Upload a non-image 415", "POST", "{{baseUrl}}/{{runPath}}/text",
                error_is("unsupported-media-type", 415), body=files_body([NOT_IMAGE]),
            ),
            request(
                "Upload without a data part 400", "POST", "{{baseUrl}}/{{runPath}}",
                error_is("missing-data", 400),
                body={"mode": "formdata", "formdata": [{"key": "other", "type": "text", "value": "no file here"}]},
            ),
            request(
                "Upload that is not multipart 400", "POST", "{{baseUrl}}/{{runPath}}",
                error_is("invalid-multipart", 400), headers=[("Content-Type", "application/json")], body=raw_json("{}"),
            ),
            request(
                "Upload with a bad file name 400", "POST", "{{baseUrl}}/{{runPath}}",
                error_is("invalid-filename", 400), headers=mp, body={"mode": "raw", "raw": bad_name_body},
            ),
            request(
                "Upload to the reserved _/ prefix 400", "POST", "{{baseUrl}}/_/uploads",
                error_is("reserved-key", 400), body=files_body([SINGLE]),
            ),
        ],
        "Upload → get → revalidate, and every way an upload is refused.",
    )


def list_folder():
    full = f"""{status_is(200)}
{JSON_CT}
pm.test('the run folder, in key order, with S3 field names', () => {{
    const items = pm.response.json();
    const run = pm.variables.get('runPath');
    const keys = items.map((i) => i.Key);
    pm.expect(keys).to.include(run + '/' + pm.variables.get('filename'));
    pm.expect(keys).to.include(run + '/several/{SEVERAL[0]}');
    pm.expect(keys).to.eql(keys.slice().sort());
    items.forEach((i) => {{
        pm.expect(i).to.have.all.keys('Key', 'LastModified', 'ETag', 'Size', 'StorageClass');
        pm.expect(i.Key.startsWith(run + '/')).to.be.true;
        pm.expect(i.LastModified).to.match(/^\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{{3}}Z$/);
        pm.expect(i.ETag).to.not.include('"');
    }});
    const single = items.find((i) => i.Key === run + '/' + pm.variables.get('filename'));
    pm.expect(single.Size).to.eql({size(SINGLE)});
    pm.collectionVariables.set('listedCount', items.length);
}});
"""
    page1 = f"""{status_is(200)}
pm.test('one item and a continuation token', () => {{
    pm.expect(pm.response.json()).to.have.lengthOf(1);
    const token = pm.response.headers.get('X-Next-Continuation-Token');
    pm.expect(token).to.be.a('string').and.not.empty;
    pm.collectionVariables.set('continuationToken', token);
    pm.collectionVariables.set('firstPageKey', pm.response.json()[0].Key);
}});
"""
    page2 = f"""{status_is(200)}
pm.test('the next key', () => {{
    const items = pm.response.json();
    pm.expect(items).to.have.lengthOf(1);
    pm.expect(items[0].Key > pm.variables.get('firstPageKey')).to.be.true;
}});
"""
    return folder(
        "List",
        [
            request("List the run folder", "GET", "{{baseUrl}}/?prefix={{runPath}}/", full),
            request("List page 1 (max-keys=1)", "GET", "{{baseUrl}}/?prefix={{runPath}}/&max-keys=1", page1),
            request(
                "List page 2 (continuation-token)", "GET",
                "{{baseUrl}}/?prefix={{runPath}}/&max-keys=1&continuation-token={{continuationToken}}", page2,
            ),
            request("List with max-keys=0 400", "GET", "{{baseUrl}}/?max-keys=0", error_is("invalid-parameter", 400)),
        ],
    )


# fm values that answer text about the image instead of the image.
DESCRIPTIONS = ("json", "thumbhash", "blurhash")


def response_headers_tests(row):
    """A row's "response_headers": each header must contain the given text."""
    return "".join(
        f"pm.test({js(name + ' contains ' + part)}, () => pm.expect(pm.response.headers.get({js(name)}) || '').to.include({js(part)}));\n"
        for name, part in row.get("response_headers", {}).items()
    )


def description_request(row):
    """fm=json, fm=thumbhash, fm=blurhash: the content type, an ETag, the row's JSON
    fields or the hash's alphabet and length."""
    fmt = row["format"]
    want_type = "application/json" if fmt == "json" else "text/plain"
    tests = f"""{status_is(200)}
pm.test('Content-Type {want_type}', () => pm.expect(pm.response.headers.get('Content-Type')).to.include('{want_type}'));
pm.test('a variant ETag', () => pm.expect(pm.response.headers.get('ETag')).to.match(/^".+"$/));
"""
    if fmt == "json":
        for field, value in row["json"].items():
            tests += f"pm.test({js(field + ' ' + json.dumps(value))}, () => pm.expect(pm.response.json()[{js(field)}]).to.eql({js(value)}));\n"
    else:
        alphabet = "^[A-Za-z0-9+/]+=*$" if fmt == "thumbhash" else "^[0-9A-Za-z#$%*+,\\-.:;=?@\\[\\]^_{|}~]+$"
        tests += f"pm.test('a {fmt}', () => pm.expect(pm.response.text()).to.match(/{alphabet}/));\n"
        if "length" in row:
            tests += f"pm.test('{row['length']} characters', () => pm.expect(pm.response.text()).to.have.lengthOf({row['length']}));\n"
    tests += response_headers_tests(row)
    name = f"{row['param']}: {row['src']}?{row['query']}"
    url = "{{baseUrl}}/{{runPath}}/src/" + row["src"] + "?" + encode_query(row["query"])
    return request(name, "GET", url, tests, headers=list(row.get("headers", {}).items()))


def transforms_folder(table):
    sources = table["sources"]
    upload_tests = f"""{status_is(200)}
pm.test('{len(sources)} originals stored', () => pm.expect(pm.response.json().ETags).to.have.lengthOf({len(sources)}));
"""
    items = [
        request(
            "Upload the originals", "POST", "{{baseUrl}}/{{runPath}}/src", upload_tests,
            body=files_body(list(sources)),
        )
    ]
    for row in table["valid"]:
        if row["format"] in DESCRIPTIONS:
            items.append(description_request(row))
            continue
        pending = row.get("pending", False)
        want = {"format": row["format"], "size": row.get("size"), "pending": pending, "vary": row.get("vary")}
        tests = f"""const want = {js(want)};
const info = pm.response.code === 200 ? eval(pm.collectionVariables.get('imageInfo'))(pm.response.stream) : null;
if (want.pending && pm.response.code === 415 && want.format === 'avif') {{
    // Not implemented yet: the service says so with a 415.
    pm.test('pending: ' + want.format + ' output not available yet (415)', () => pm.expect(pm.response.json().code).to.eql('unsupported-media-type'));
}} else {{
    {status_is(200)}
    pm.test('Content-Type matches the bytes', () => pm.expect(pm.response.headers.get('Content-Type')).to.eql('image/' + info.format));
    pm.test('a variant ETag', () => pm.expect(pm.response.headers.get('ETag')).to.match(/^".+"$/));
    if (want.pending) {{
        console.log('pending row {row["query"]}: got ' + info.format + ' ' + info.width + 'x' + info.height + (want.size ? ', will be ' + want.size.join('x') : ''));
    }} else {{
        pm.test('format ' + want.format, () => pm.expect(info.format).to.eql(want.format));
        if (want.vary) {{
            const vary = pm.response.headers.all().filter((h) => h.key.toLowerCase() === 'vary').map((h) => h.value).join(',');
            pm.test('Vary lists ' + want.vary, () => pm.expect(vary.split(',').map((v) => v.trim().toLowerCase())).to.include(want.vary.toLowerCase()));
        }}
        if (want.size && info.width !== null) {{
            pm.test('size ' + want.size.join('x'), () => pm.expect([info.width, info.height]).to.eql(want.size));
        }}
    }}
}}
""" + response_headers_tests(row)
        name = f"{row['param']}: {row['src']}?{row['query']}" + (" (pending)" if pending else "")
        url = "{{baseUrl}}/{{runPath}}/src/" + row["src"] + "?" + encode_query(row["query"])
        headers = list(row.get("headers", {}).items())
        items.append(request(name, "GET", url, tests, headers=headers))
    for row in table["invalid"]:
        tests = f"""{error_is("invalid-parameter", 400)}
pm.test("message names '{row['param']}'", () => pm.expect(pm.response.json().message).to.include("'{row['param']}'"));
"""
        url = "{{baseUrl}}/{{runPath}}/src/cat.jpg?" + encode_query(row["query"])
        items.append(request(f"{row['param']}: {row['query']} 400", "GET", url, tests))
    variant = "{{baseUrl}}/{{runPath}}/src/cat.jpg?w=120&fm=png"
    items.append(
        request(
            "Transformed variant ETag", "GET", variant,
            status_is(200) + "\npm.collectionVariables.set('variantEtag', pm.response.headers.get('ETag'));",
        )
    )
    items.append(
        request(
            "Transformed 304 (parameters in another order)", "GET",
            "{{baseUrl}}/{{runPath}}/src/cat.jpg?fm=png&w=120&v=2", status_is(304),
            headers=[("If-None-Match", "{{variantEtag}}")],
        )
    )
    items.extend(result_cache_requests())
    items.append(large_result_request())
    return folder(
        "Transforms",
        items,
        "One request per row of integration-tests/transforms.json, with the row's request headers (real browser Accept strings for fm=auto): the output format and size are read from the image bytes, and Vary is checked where the row names it. Rows marked pending are parameters the service accepts but does not apply yet.",
    )


def result_cache_requests():
    """The same transform twice: rendered, then served from the result cache. A quality
    drawn per run keeps the first request a render on a store that outlives runs."""
    url = "{{baseUrl}}/{{runPath}}/src/cat.jpg?w=140&fm=webp&q={{cacheQuality}}"
    pre = "pm.collectionVariables.set('cacheQuality', String(2 + Math.floor(Math.random() * 97)));"
    first = f"""{status_is(200)}
pm.collectionVariables.set('cacheEtag', pm.response.headers.get('ETag'));
pm.test('first request: X-Result-Cache miss', () => pm.expect(pm.response.headers.get('X-Result-Cache')).to.eql('miss'));
"""
    # Behind CloudFront the second answer may come from the edge cache (which replays the
    # first answer's headers) or from S3 (no X-Result-Cache at all); the ETag is the same.
    second = f"""{status_is(200)}
pm.test('second request: the same variant', () => pm.expect(pm.response.headers.get('ETag')).to.eql(pm.collectionVariables.get('cacheEtag')));
if (!(pm.response.headers.get('X-Cache') || '').toLowerCase().includes('cloudfront')) {{
    pm.test('second request: X-Result-Cache hit', () => pm.expect(pm.response.headers.get('X-Result-Cache')).to.eql('hit'));
}}
"""
    return [
        request("Result cache: a transform rendered", "GET", url, first, pre=pre),
        request("Result cache: the same transform served from the cache", "GET", url, second),
    ]


def large_result_request():
    """A result past the 6 MB a buffered Lambda answer could carry (2048x1536 as an
    uncompressed TIFF): on Lambda it arrives streamed."""
    tests = f"""{status_is(200)}
pm.test('image/tiff', () => pm.expect(pm.response.headers.get('Content-Type')).to.eql('image/tiff'));
pm.test('over 6 MB, whole', () => {{
    pm.expect(pm.response.stream.length).to.be.above(6000000);
    const declared = pm.response.headers.get('Content-Length');
    if (declared) pm.expect(Number(declared)).to.eql(pm.response.stream.length);
}});
"""
    url = "{{baseUrl}}/{{runPath}}/src/bug.png?fm=tiff"
    return request("A result over 6 MB (streamed on Lambda)", "GET", url, tests)


def errors_folder():
    return folder(
        "Errors",
        [
            request("Missing key 404", "GET", "{{baseUrl}}/{{runPath}}/no-such-image.png", error_is("not-found", 404)),
            request(
                "Missing key with parameters 404", "GET", "{{baseUrl}}/{{runPath}}/no-such-image.png?w=10",
                error_is("not-found", 404),
            ),
            request("Key with a .. segment 400", "GET", "{{baseUrl}}/{{runPath}}/a/%2e%2e/b.png", error_is("invalid-key", 400)),
            request("Reserved _/ key 400", "GET", "{{baseUrl}}/_/anything", error_is("reserved-key", 400)),
            request("PUT 405", "PUT", "{{baseUrl}}/{{runPath}}/{{filename}}", error_is("method-not-allowed", 405)),
            # The token is checked before the body is read: with a token configured these
            # are 401/403; a server without tokens reads the (empty) body and answers 400.
            request(
                "Upload without a token 401", "POST", "{{baseUrl}}/{{runPath}}/auth",
                AUTH_TEST.replace("STATUS", "401").replace("CODE", "unauthorized"),
                pre="pm.request.headers.remove('Authorization');",
            ),
            request(
                "Upload with a wrong token 403", "POST", "{{baseUrl}}/{{runPath}}/auth",
                AUTH_TEST.replace("STATUS", "403").replace("CODE", "invalid-token"),
                pre="pm.request.headers.upsert({ key: 'Authorization', value: 'Bearer wrong-token-0123456789' });",
            ),
        ],
    )


AUTH_TEST = """if (pm.variables.get('token')) {
    pm.test('status STATUS', () => pm.response.to.have.status(STATUS));
    pm.test('code CODE', () => pm.expect(pm.response.json().code).to.eql('CODE'));
} else {
    pm.test('no token configured: the body is read and refused (400)', () => pm.response.to.have.status(400));
}"""


def delete_folder():
    ok = f"""{status_is(200)}
{JSON_CT}
pm.test('removed', () => pm.expect(pm.response.json()).to.eql({{ status: 200, code: 'success', message: 'Images removed successfully!' }}));
"""
    missing = f"""{error_is("not-found", 404)}
pm.test('names only the missing file', () => {{
    const message = pm.response.json().message;
    pm.expect(message).to.include('never-uploaded.png');
    pm.expect(message).to.not.include(pm.variables.get('filename'));
}});
"""
    return folder(
        "Delete",
        [
            request(
                "Delete with a missing name 404 (nothing removed)", "DELETE", "{{baseUrl}}/{{runPath}}", missing,
                headers=[("Content-Type", "application/json")],
                body=raw_json('{"images": ["{{filename}}", "never-uploaded.png"]}'),
            ),
            request(
                "Delete with an empty list 400", "DELETE", "{{baseUrl}}/{{runPath}}", error_is("invalid-body", 400),
                headers=[("Content-Type", "application/json")], body=raw_json('{"images": []}'),
            ),
            request(
                "Delete with a body that is not JSON 400", "DELETE", "{{baseUrl}}/{{runPath}}", error_is("invalid-body", 400),
                headers=[("Content-Type", "application/json")], body=raw_json("not json"),
            ),
            request(
                "Delete the uploaded image", "DELETE", "{{baseUrl}}/{{runPath}}", ok,
                headers=[("Content-Type", "application/json")], body=raw_json('{"images": ["{{filename}}"]}'),
            ),
            request("Get the deleted image 404", "GET", "{{baseUrl}}/{{runPath}}/{{filename}}", error_is("not-found", 404)),
            request(
                "Delete it again 404", "DELETE", "{{baseUrl}}/{{runPath}}", error_is("not-found", 404),
                headers=[("Content-Type", "application/json")], body=raw_json('{"images": ["{{filename}}"]}'),
            ),
        ],
    )


def cleanup_folder():
    remove = f"""{status_is(200)}
// Remove whatever the run left (the originals, the several/ uploads, leftovers of
// failed requests), one DELETE per folder.
const base = pm.variables.get('baseUrl');
const token = pm.variables.get('token');
const byDir = {{}};
pm.response.json().forEach((item) => {{
    const cut = item.Key.lastIndexOf('/');
    (byDir[item.Key.slice(0, cut)] = byDir[item.Key.slice(0, cut)] || []).push(item.Key.slice(cut + 1));
}});
Object.keys(byDir).forEach((dir) => {{
    const header = [{{ key: 'Content-Type', value: 'application/json' }}];
    if (token) header.push({{ key: 'Authorization', value: 'Bearer ' + token }});
    pm.sendRequest({{
        url: base + '/' + dir.split('/').map(encodeURIComponent).join('/'),
        method: 'DELETE',
        header: header,
        body: {{ mode: 'raw', raw: JSON.stringify({{ images: byDir[dir] }}) }},
    }}, (err, res) => {{
        pm.test('cleanup DELETE /' + dir, () => {{
            pm.expect(err).to.be.null;
            pm.expect(res.code).to.eql(200);
        }});
    }});
}});
"""
    verify = f"""{status_is(200)}
pm.test('nothing left under the run folder', () => pm.expect(pm.response.json()).to.eql([]));
"""
    return folder(
        "Cleanup",
        [
            request("Remove everything under the run folder", "GET", "{{baseUrl}}/?prefix={{runPath}}/", remove),
            request("Verify the run folder is empty", "GET", "{{baseUrl}}/?prefix={{runPath}}/", verify),
        ],
        "Runs last, whatever failed before: removes every object under `{{runPath}}/`.",
    )


def collection():
    with open(TABLE) as f:
        table = json.load(f)
    return {
        "info": {
            "_postman_id": "5149f239-6db7-584f-af42-12bbd98298c3",
            "name": "image-service",
            "description": "Every route and documented status code of the image service (see the repository README). "
            "Select an environment (local, dev, staging, prod), then run the whole collection: it works under "
            "`{{path}}/run-<id>/` and removes that folder at the end. Generated by postman/generate.py.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "event": [event("prerequest", COLLECTION_PRE), event("test", COLLECTION_TEST)],
        "variable": [
            {"key": "imageInfo", "value": IMAGE_INFO},
            {"key": "runPath", "value": ""},
        ],
        "item": [
            setup_folder(),
            uploads_folder(),
            list_folder(),
            transforms_folder(table),
            errors_folder(),
            delete_folder(),
            cleanup_folder(),
        ],
    }


def main():
    text = json.dumps(collection(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("postman/image-service.postman_collection.json is out of date: run python3 postman/generate.py")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
