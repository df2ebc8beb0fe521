"""Take the README's screenshot of the demo thread.

    make demo &                                   # serves the demo on 127.0.0.1:8000
    .venv/bin/python docs/screenshot.py [BASE_URL]

Signs in as a demo user (so the page shows the reader's own votes), opens the main demo thread
and saves docs/screenshot.png. Uses Debian's Chromium, as the browser tests do.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE_URL = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
OUTPUT = Path(__file__).with_name("screenshot.png")
THREAD_TITLE = "Will interpretability scale to frontier models?"


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
        page.goto(f"{BASE_URL}/accounts/login/")
        page.fill("input[name=username]", "corrigible_cat")
        page.fill("input[name=password]", "demo-password-123")
        page.click("form [type=submit]")
        page.goto(BASE_URL + "/")
        page.get_by_role("link", name=THREAD_TITLE).first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUTPUT))
        browser.close()
    print(f"saved {OUTPUT}")


if __name__ == "__main__":
    main()
