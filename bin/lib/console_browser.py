"""The console (/_/console) driven in headless Chromium or Firefox through Selenium, as a person uses it.

usage: console_browser.py BASE_URL TOKEN RESULTS_DIR [--scenario main|signed] [--screenshot NAME]
                          [--browser chromium|firefox]

main: sign in (a wrong token first: its 403 is shown), upload two files with the file
chooser and a third by drag and drop under a name already taken (its 409 message is
shown), browse (thumbnails decoded), build a transform with three parameters and check
the preview's natural size, format, bytes and Server-Timing and the copied URL (fetched
here again: the same bytes), edit the query by hand, take a screenshot, delete both
with the confirmation, sign out. Also: every control has a label, the page makes no
request to another origin and the browser logs no CSP violation or script error.
signed: the same service with IMAGE_SERVICE_SIGNING=required: thumbnails, preview and
the copied URL are signed by POST /_/sign, and the unsigned URL is refused.

Runs Debian's chromium with its chromium-driver (CHROMIUM, CHROMEDRIVER), or with
--browser firefox Debian's firefox-esr with geckodriver (FIREFOX, GECKODRIVER; bin/test-console
builds geckodriver from crates.io); downloads no browser. Prints each check; exits 1 on the first failure (with a screenshot of it).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "assets" / "samples"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,1300", "--force-device-scale-factor=1",
]


class CheckFailed(Exception):
    pass


class Run:
    def __init__(self, driver, base: str, token: str, results: Path, logged: list[str] | None = None):
        self.driver = driver
        # Firefox: the problems its BiDi log handlers collected (Chromium keeps a log to read).
        self.logged = logged
        self.base = base.rstrip("/")
        self.token = token
        self.results = results
        self.passed = 0

    # ---- helpers -------------------------------------------------------------------------
    def check(self, ok: bool, what: str, detail: str = "") -> None:
        if not ok:
            raise CheckFailed(f"{what}{': ' + detail if detail else ''}")
        self.passed += 1
        print(f"  ok  {what}", flush=True)

    def wait(self, condition, what: str, timeout: float = 30):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(lambda d: condition())
        except TimeoutException:
            raise CheckFailed(f"timed out waiting: {what} (status line: {self.text('status')!r})") from None

    def el(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id: str) -> str:
        try:
            return self.el(element_id).text
        except Exception:  # noqa: BLE001 - only for messages
            return "?"

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def http(self, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
        req = urllib.request.Request(self.base + path, method=method, headers=headers or {}, data=body)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def listing(self) -> list[str]:
        status, _, body = self.http("/?max-keys=1000", headers={"Authorization": f"Bearer {self.token}"})
        if status != 200:
            raise CheckFailed(f"listing through the API answered {status}: {body[:200]!r}")
        return [o["Key"] for o in json.loads(body)]

    def set_param(self, name: str, value: str) -> None:
        control = self.el(f"param-{name}")
        # Open its group first: collapsed groups hide their fields.
        self.js("arguments[0].closest('details').open = true", control)
        if control.tag_name == "select":
            Select(control).select_by_value(value)
        elif control.get_attribute("type") == "checkbox":
            if not control.is_selected():
                control.click()
        else:
            control.clear()
            control.send_keys(value)

    def preview_ready(self, size: str):
        return self.wait(lambda: self.text("preview-size") == size and self.js(
            "const i = document.getElementById('preview-image'); return i.complete && i.naturalWidth > 0"),
            f"preview of {size}")

    # ---- scenario parts ------------------------------------------------------------------
    def open_console(self) -> None:
        self.driver.get(self.base + "/_/console")
        self.wait(lambda: self.driver.current_url.endswith("/_/console/"), "the redirect to /_/console/")
        self.wait(lambda: self.el("sign-in").is_displayed(), "the sign-in form")
        self.check(self.driver.title == "image-service console", "the page loads")
        unlabelled = self.js("""
            return [...document.querySelectorAll('input, select, textarea, button')]
              .filter((c) => c.type !== 'submit' && c.tagName !== 'BUTTON')
              .filter((c) => c.labels.length === 0 && !c.getAttribute('aria-label'))
              .map((c) => c.id || c.outerHTML.slice(0, 60));""")
        self.check(unlabelled == [], "every form control has a label", str(unlabelled))
        count = self.js("return document.querySelectorAll('#params .param').length")
        self.check(count >= 40, f"the parameter builder has a row per key ({count})")

    def sign_in(self) -> None:
        token = self.el("token")
        self.check(self.driver.switch_to.active_element == token, "the token field has the focus")
        outline = self.js("const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
        self.check(not outline.startswith("none"), f"the focus is visible ({outline})")
        token.send_keys("not-the-token-0123456789", Keys.ENTER)
        self.wait(lambda: "invalid-token" in self.text("status"), "the wrong token's 403")
        self.check("403 invalid-token" in self.text("status"), "a wrong token is refused with the service's message",
                   self.text("status"))
        self.check(self.js("return sessionStorage.length") == 0, "a refused token is not kept")
        token = self.el("token")
        token.clear()
        token.send_keys(self.token, Keys.ENTER)
        self.wait(lambda: self.el("workspace").is_displayed(), "the workspace after sign-in")
        kept = self.js("return Object.values(sessionStorage)")
        self.check(kept == [self.token], "the token is kept in sessionStorage only")
        self.check(self.js("return localStorage.length") == 0, "nothing in localStorage")

    def upload(self, names: list[str]) -> None:
        self.el("file-input").send_keys("\n".join(str(SAMPLES / n) for n in names))
        self.wait(lambda: len(self.driver.find_elements(By.CSS_SELECTOR, "#uploads li.done")) == len(names),
                  f"{len(names)} uploads")
        values = self.js("return [...document.querySelectorAll('#uploads li.done progress')].map((p) => p.value)")
        self.check(values == [1] * len(names), f"each upload's progress reached 100 % ({values})")
        keys = self.listing()
        self.check(sorted(keys) == sorted(names), f"the store holds {names}", str(keys))

    def conflict_by_drop(self, name: str, other: str) -> None:
        """Drops the bytes of `other` named `name`: the 409 and its message are shown."""
        data = base64.b64encode((SAMPLES / other).read_bytes()).decode()
        self.js("""
            const [name, data] = arguments;
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: 'image/png' }));
            const zone = document.getElementById('drop-zone');
            zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        """, name, data)
        row = self.wait(lambda: next(iter(self.driver.find_elements(By.CSS_SELECTOR, "#uploads li.failed")), None),
                        "the failed upload")
        text = row.text
        self.check("409 already-exists" in text and f"Already existing: {name}" in text,
                   "a name already taken shows the 409 with the service's message", text)
        self.wait(lambda: "1 failed" in self.text("status"), "the status line")
        self.check(True, "the status line counts the failure")

    def browse(self, names: list[str]) -> list:
        self.wait(lambda: len(self.driver.find_elements(By.CSS_SELECTOR, "#objects li.object")) == len(names),
                  "the listing")
        shown = self.js("return [...document.querySelectorAll('#objects .key')].map((k) => k.textContent)")
        self.check(sorted(shown) == sorted(names), f"the listing shows {names}", str(shown))
        sizes = self.wait(lambda: self.js("""
            const imgs = [...document.querySelectorAll('#objects img')];
            if (imgs.length === 0 || !imgs.every((i) => i.complete && i.naturalWidth > 0)) return null;
            return imgs.map((i) => [i.naturalWidth, i.naturalHeight, i.getAttribute('src')]);"""),
            "the thumbnails")
        self.check(all(w == 160 for w, _, _ in sizes), f"every thumbnail is decoded, 160 px wide ({sizes})")
        return sizes

    def transform(self, key: str) -> None:
        button = self.driver.find_element(By.CSS_SELECTOR, f"button[aria-label='Transform {key}']")
        button.click()
        self.check(self.el("image-key").get_attribute("value") == key, "Transform puts the key in the builder")
        for name, value in [("w", "300"), ("r", "90"), ("fm", "webp")]:
            self.set_param(name, value)
        self.wait(lambda: self.el("query").get_attribute("value") == "w=300&r=90&fm=webp", "the query field")
        self.check(True, "the query follows the fields: w=300&r=90&fm=webp")
        # progressive_3.jpg is 650×470: w=300 gives 300×217 (470·300/650 = 216.9), r=90 turns it.
        self.preview_ready("217 × 300 px")
        natural = self.js("const i = document.getElementById('preview-image'); return [i.naturalWidth, i.naturalHeight]")
        self.check(natural == [217, 300], f"the preview's natural size is 217 × 300 ({natural})")
        self.check(self.text("preview-format") == "image/webp", "the preview's format", self.text("preview-format"))
        timing = self.text("preview-timing")
        self.check(all(p in timing for p in ("decode", "encode", "total")), f"Server-Timing phases shown ({timing})")

    def copy_url(self, expected: str | None) -> str:
        self.el("copy-url").click()
        self.wait(lambda: "copied" in self.text("status").lower() or "Copy it from" in self.text("status"),
                  "the copy")
        url = self.el("url").get_attribute("value")
        if expected is not None:
            self.check(url == expected, f"the copied URL is {expected}", url)
        clip = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            navigator.clipboard.readText().then(done, (e) => done('unavailable: ' + e.name));""")
        self.check(clip == url, "the clipboard holds the URL", clip)
        status, headers, body = self.http(url[len(self.base):])
        self.check(status == 200 and headers.get("content-type") == "image/webp",
                   "the copied URL answers with a WebP", f"{status} {headers.get('content-type')}")
        shown = int("".join(c for c in self.text("preview-bytes").split(" bytes")[0] if c.isdigit()))
        self.check(len(body) == shown, f"the preview's bytes are the URL's ({shown})")
        self.check(webp_size(body) == (217, 300), f"the URL's WebP is 217 × 300 ({webp_size(body)})")
        return url

    def edit_query(self) -> None:
        query = self.el("query")
        query.clear()
        query.send_keys("w=100&fm=png&flip")
        self.wait(lambda: self.el("param-w").get_attribute("value") == "100"
                  and Select(self.el("param-fm")).first_selected_option.get_attribute("value") == "png"
                  and self.el("param-flip").is_selected(), "the fields following the query")
        self.check(True, "a query typed by hand fills the fields")
        # 650×470 at w=100: 100×72.
        self.preview_ready("100 × 72 px")
        self.check(self.text("preview-format") == "image/png", "the edited query's preview is a PNG")

    def screenshot(self, name: str, top: bool = False) -> Path:
        self.results.mkdir(parents=True, exist_ok=True)
        if top:
            self.js("document.activeElement.blur(); window.scrollTo(0, 0)")
        path = self.results / name
        self.driver.save_screenshot(str(path))
        print(f"  --  screenshot: {path}", flush=True)
        return path

    def delete_all(self, count: int) -> None:
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.el("select-all").click()
        button = self.el("delete-selected")
        self.check(button.text == f"Delete selected ({count})", "selecting all counts them", button.text)
        button.click()
        alert = WebDriverWait(self.driver, 10).until(expected_conditions.alert_is_present())
        noun = "object" if count == 1 else "objects"
        self.check(f"Delete {count} {noun}?" in alert.text, "deleting asks for confirmation", alert.text)
        alert.accept()
        self.wait(lambda: self.text("status").startswith(f"Deleted {count}"), "the deletion")
        self.wait(lambda: self.driver.find_elements(By.CSS_SELECTOR, "#objects li.empty"), "the empty listing")
        self.check(self.listing() == [], "the store is empty again")

    def sign_out(self) -> None:
        self.el("sign-out").click()
        self.wait(lambda: self.el("sign-in").is_displayed(), "the sign-in form after signing out")
        self.check(self.js("return sessionStorage.length") == 0, "signing out forgets the token")
        self.driver.refresh()
        self.wait(lambda: self.el("sign-in").is_displayed(), "the sign-in form after a reload")
        self.check(not self.el("workspace").is_displayed(), "a reload after signing out stays signed out")

    def same_origin_only(self) -> None:
        origin = self.js("return location.origin")
        names = self.js("return performance.getEntriesByType('resource').map((e) => e.name)")
        others = [n for n in names if not n.startswith(origin + "/") and not n.startswith("blob:")]
        self.check(names != [] and others == [], f"all {len(names)} requests of the page stayed on {origin}",
                   str(others))

    def hygiene(self) -> None:
        self.same_origin_only()
        if self.logged is not None:
            problems = list(self.logged)
        else:
            problems = [e["message"] for e in self.driver.get_log("browser")
                        if "Content Security Policy" in e["message"] or "Uncaught" in e["message"]
                        or ("SEVERE" == e["level"] and "Failed to load resource" not in e["message"])]
        self.check(problems == [], "the browser logged no CSP violation or script error", "\n".join(problems))


def webp_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a WebP's first chunk (VP8, VP8L or VP8X)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def main_scenario(run: Run, screenshot: str) -> None:
    names = ["blackbug.png", "progressive_3.jpg"]
    run.open_console()
    run.sign_in()
    run.upload(names)
    run.conflict_by_drop("blackbug.png", "Flag_of_the_Netherlands-16bit.png")
    run.browse(names)
    run.transform("progressive_3.jpg")
    run.copy_url(f"{run.base}/progressive_3.jpg?w=300&r=90&fm=webp")
    run.screenshot(screenshot, top=True)
    run.edit_query()
    run.same_origin_only()
    run.delete_all(len(names))
    run.sign_out()
    run.hygiene()


def signed_scenario(run: Run, _screenshot: str) -> None:
    names = ["progressive_3.jpg"]
    run.open_console()
    run.sign_in()
    run.upload(names)
    sizes = run.browse(names)
    run.check(all("s=" in src and "kid=" in src for _, _, src in sizes), "thumbnails are signed URLs")
    run.transform("progressive_3.jpg")
    url = run.copy_url(None)
    run.check("kid=" in url and "&s=" in url, "the copied URL is signed", url)
    note = run.text("sign-note")
    run.check(note.startswith("Signed"), "the console says it is signed", note)
    status, _, body = run.http("/progressive_3.jpg?w=300&r=90&fm=webp")
    run.check(status == 403 and b"invalid-signature" in body, "the same URL unsigned is refused")
    run.delete_all(len(names))
    run.sign_out()
    run.hygiene()


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"profile.content_settings.exceptions.clipboard": {
        "*": {"setting": 1}}})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


# Before any script of each page: CSP violations are written to the console, where the
# BiDi log handler sees them (Firefox does not put them in a log WebDriver can read).
REPORT_CSP_VIOLATIONS = """() => {
  document.addEventListener('securitypolicyviolation', (e) =>
    console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));
}"""


def firefox():
    """Headless firefox-esr through geckodriver, with the page's script errors and CSP
    violations collected over WebDriver BiDi for `hygiene`."""
    from selenium.webdriver.firefox.service import Service as FirefoxService

    options = webdriver.FirefoxOptions()
    options.binary_location = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
    options.add_argument("-headless")
    options.enable_bidi = True
    # Leave confirm() open for the test to read and accept, as Chromium does.
    options.unhandled_prompt_behavior = "ignore"
    for name, value in {
        # The copied URL is read back as in Chromium; no paste prompt in a test profile.
        "dom.events.asyncClipboard.readText": True, "dom.events.testing.asyncClipboard": True,
        # No request of the browser's own to anywhere.
        "app.update.enabled": False, "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False, "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.enabled": False, "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False, "extensions.update.enabled": False,
        "browser.shell.checkDefaultBrowser": False,
    }.items():
        options.set_preference(name, value)
    service = FirefoxService(executable_path=os.environ.get("GECKODRIVER", "geckodriver"))
    driver = webdriver.Firefox(options=options, service=service)
    driver.set_window_size(1400, 1300)
    logged: list[str] = []
    driver.script.add_javascript_error_handler(lambda e: logged.append(f"script error: {e.text}"))
    driver.script.add_console_message_handler(
        lambda e: logged.append(e.text) if e.level == "error" else None)
    driver.script.pin(REPORT_CSP_VIOLATIONS)
    return driver, logged


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("results", type=Path)
    parser.add_argument("--scenario", choices=["main", "signed"], default="main")
    parser.add_argument("--screenshot", default="console.png", help="file name of the main scenario's screenshot")
    parser.add_argument("--browser", choices=["chromium", "firefox"], default="chromium")
    args = parser.parse_args()

    if args.browser == "firefox":
        driver, logged = firefox()
    else:
        driver, logged = chromium(), None
    run = Run(driver, args.base, args.token, args.results, logged)
    started = time.monotonic()
    print(f"console in {args.browser} {driver.capabilities.get('browserVersion')}: {args.scenario} against "
          f"{args.base}", flush=True)
    try:
        (main_scenario if args.scenario == "main" else signed_scenario)(run, args.screenshot)
    except CheckFailed as failure:
        try:
            try:
                driver.switch_to.alert.dismiss()
            except Exception:  # noqa: BLE001 - no dialog open
                pass
            run.screenshot(f"console-{args.scenario}-failure.png")
        except Exception as e:  # noqa: BLE001 - the failure below matters more
            print(f"  --  no screenshot of the failure: {e}", flush=True)
        print(f"FAILED {failure}", file=sys.stderr, flush=True)
        print(f"console ({args.scenario}): {run.passed} passed, 1 failed", flush=True)
        return 1
    finally:
        driver.quit()
    print(f"console ({args.scenario}): {run.passed} passed, 0 failed in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
