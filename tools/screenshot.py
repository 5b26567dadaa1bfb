"""Take screenshots of app pages in headless chromium, to look at what users see.

python -m tools.screenshot http://127.0.0.1:8501/ out.png [--width 1440 --height 1000]
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

from tools.browser import CHROMIUM_ARGS, chromium_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--text", default="Open Government Licence", help="text that shows the page has finished")
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to wait after the page settles")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.url)
        page.wait_for_selector("[data-testid='stApp']")
        page.get_by_text(args.text).first.wait_for(timeout=90_000)
        page.wait_for_timeout(args.wait * 1000)
        page.screenshot(path=args.out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
