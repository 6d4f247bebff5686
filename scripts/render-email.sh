#!/usr/bin/env bash
# Renders the HTML part of an email (.eml) to a PNG with headless Chromium, so a person can see
# what neighbours receive. Installs Debian's chromium when it is missing (as root).
#
#   scripts/render-email.sh MAIL.eml [OUT.png] [WIDTH]
#
# An example email: `cargo test --test daemon email::subscribe` saves the relay email it
# receives as target/email-example.eml.
set -euo pipefail
eml=${1:?usage: scripts/render-email.sh MAIL.eml [OUT.png] [WIDTH]}
out=${2:-${eml%.eml}.png}
width=${3:-480}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing: apt-get install chromium (or run this as root)" >&2
    exit 1
  fi
  echo "installing chromium (Debian package)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  browser=$(command -v chromium)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$eml" "$work/mail.html" <<'PY'
import email, sys
from email import policy
with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=policy.default)
part = message.get_body(preferencelist=("html",))
if part is None:
    sys.exit("no HTML part in " + sys.argv[1])
html = part.get_content()
# Inline images (multipart/related, cid:) become data: URIs, as a mail program shows them.
import base64
for p in message.walk():
    cid = (p.get("Content-ID") or "").strip().strip("<>")
    if cid and p.get_content_maintype() == "image":
        data = base64.b64encode(p.get_payload(decode=True)).decode()
        html = html.replace("cid:" + cid, "data:%s;base64,%s" % (p.get_content_type(), data))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(html)
PY
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size="$width,1100" --screenshot="$out" "file://$work/mail.html" >/dev/null 2>&1
echo "$out"
