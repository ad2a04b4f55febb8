#!/usr/bin/env bash
# What the tests need from Debian beside the venv: the headless browser of the web view's tests
# (tests/browser.py), and poppler's pdftotext, which reads the walk report's PDF as a second
# real reader beside pypdf (tests/test_report_walk.py). `make test` runs this first, so CI on a fresh machine installs it itself.
#
# Idempotent and quiet: when chromium and chromedriver are there it only looks. It never fails
# the run: when it cannot install (not root, no apt-get, no registry) it says why and goes on;
# the browser tests then fail in CI (CI set), and are skipped elsewhere with the same reason,
# as the PostgreSQL tests are (tests/postgres.py).
set -uo pipefail

# The browser, its WebDriver, and fonts for text and emoji (the pages' buttons carry some), so
# screenshots show what a person's browser shows.
PACKAGES=(chromium chromium-driver fonts-dejavu-core fonts-noto-color-emoji poppler-utils)
BROWSER=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
PDFTOTEXT=/usr/bin/pdftotext

installed() {
  [ -x "$BROWSER" ] && [ -x "$DRIVER" ] && [ -x "$PDFTOTEXT" ] || return 1
  command -v dpkg-query >/dev/null || return 0
  [ "$(dpkg-query -W -f='${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null | grep -c '^installed$')" \
    -eq "${#PACKAGES[@]}" ]
}

if installed; then
  exit 0
fi

say() { echo "setup-test-deps: $*" >&2; }

if ! command -v apt-get >/dev/null; then
  say "no apt-get here: install Chromium and ChromeDriver yourself (the browser tests skip without them)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "not root, so cannot apt-get install ${PACKAGES[*]};"
  say "run 'sudo $0' once (the browser tests skip without them, and fail in CI)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
install() {
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/tmp/setup-test-deps.log 2>&1
}

say "installing ${PACKAGES[*]} for the browser tests (once)"
# The package lists may be missing or old on a fresh machine: update only when the install fails.
if ! install; then
  if ! apt-get update -qq >>/tmp/setup-test-deps.log 2>&1 || ! install; then
    say "apt-get could not install them (see /tmp/setup-test-deps.log):"
    tail -n 5 /tmp/setup-test-deps.log >&2
    say "the browser tests skip without them, and fail in CI"
    exit 0
  fi
fi
say "$("$BROWSER" --version 2>/dev/null) and $("$DRIVER" --version 2>/dev/null | cut -d' ' -f1-2)"
