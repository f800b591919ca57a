# Loopback servers for llava-verify's download tests. Source this file from bash.
#
#   start_nginx [--tls] [--slow NAME]... FILES_DIR
#       A real nginx, running as the current user, everything in a fresh temporary
#       folder (config, pid, logs, temp paths), with two server blocks:
#       - the "hub" on 127.0.0.1:PORT1: GET|HEAD /datasets/$HUB_REPO_ID/resolve/$HUB_REVISION/PATH
#         for every regular file FILES_DIR/PATH answers 302 to $STORAGE_URL/lfs/SHA256 with
#         X-Linked-Size: SIZE, X-Linked-Etag: "SHA256" and X-Repo-Commit, as Hugging Face
#         does for LFS files; anything else is 404;
#       - the "storage host" on 127.0.0.2:PORT2: /lfs/SHA256 serves the file (nginx static:
#         Range, If-Range with the ETag or Last-Modified, HEAD). A file named with --slow is
#         redirected to /lfs-slow/SHA256 instead, where requests with no Range or a Range
#         from byte 0 are limited to $NGINX_SLOW_RATE (nginx limit_rate syntax, default 40m)
#         per connection and resumed ones (Range from byte > 0) are not.
#       --tls puts both on HTTPS with a server certificate (SAN IP:127.0.0.1, IP:127.0.0.2)
#       signed by a CA made now with openssl; the CA file is $CACERT.
#       Exports HUB_URL, STORAGE_URL, NGINX_DIR, HUB_LOG, STORAGE_LOG, CACERT (empty
#       without --tls), NGINX_PID, HUB_REPO_ID (OWNER/NAME), HUB_REPO (datasets/OWNER/NAME),
#       HUB_REVISION. Logs are JSON lines: t, host, method, uri, status, range, if_range,
#       authorization, bytes, body_bytes, completion ("OK" or "").
#   stop_nginx
#       (a watchdog also stops nginx if the sourcing shell dies, or after $NGINX_TIMEOUT s)
#   start_fault FILE
#       tests/net/fault_server.py serving FILE on 127.0.0.1 and 127.0.0.2 (same port);
#       it exits by itself after $FAULT_TIMEOUT s (default 120) or once this shell is gone.
#       Exports FAULT_URL (http://127.0.0.1:PORT), FAULT_URL2 (the 127.0.0.2 one),
#       FAULT_LOG, FAULT_PID, FAULT_DIR, FAULT_CHANGED (the file /changed/ serves).
#   stop_fault
#   net_stop_all          both of the above; for a trap
#   logq LOG 'EXPR' [count|list]
#       Count (default) or print the JSON records r of LOG for which the Python
#       expression EXPR is true, e.g. logq "$STORAGE_LOG" 'r["method"]=="GET"'.
#   net_manifest OUT [--unknown] [--url-base URL] FILES_DIR NAME...
#       Writes a llava-verify-manifest/1 for FILES_DIR/NAME... with the real size and
#       sha256 (or null with --unknown), source = $HUB_REPO/$HUB_REVISION, and url =
#       https://huggingface.co/datasets/OWNER/NAME/resolve/REV/NAME, or URL/NAME with
#       --url-base.
#
# Needs: nginx (Debian package `nginx`), openssl, /usr/bin/python3. Loopback only.

NET_HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NET_PY=${NET_PY:-/usr/bin/python3}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
: "${HUB_REPO_ID:=lv-test/tiny-set}"
: "${HUB_REVISION:=0123456789abcdef0123456789abcdef01234567}"
HUB_REPO="datasets/$HUB_REPO_ID"
export HUB_REPO_ID HUB_REPO HUB_REVISION
: "${NGINX_SLOW_RATE:=40m}"

# A port that is free on ADDRESS now (nginx may still lose a race for it: start_nginx retries).
net_free_port() {
  "$NET_PY" -c 'import socket,sys
s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "${1:-127.0.0.1}"
}

# True once ADDRESS:PORT accepts a TCP connection.
net_port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

net_make_certs() {  # DIR: ca.pem, ca.key, server.pem, server.key
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=llava-verify test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1 || return 1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1" >/dev/null 2>&1 || return 1
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,IP:127.0.0.2" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/server.pem" -days 2 -extfile "$d/server.ext" >/dev/null 2>&1
}

start_nginx() {
  local tls=0 slow=()
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1; shift ;;
      --slow) slow+=("$2"); shift 2 ;;
      *) break ;;
    esac
  done
  local files_dir
  [ -d "${1:-}" ] || { echo "start_nginx: no folder ${1:-}" >&2; return 1; }
  files_dir=$(realpath "$1")
  if [ ! -x "$NGINX_BIN" ]; then
    echo "start_nginx: nginx not found (apt-get install nginx; see scripts/install-deps.sh)" >&2
    return 1
  fi
  NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lv-nginx.XXXXXX")
  mkdir -p "$NGINX_DIR/store/lfs" "$NGINX_DIR/tmp"
  local scheme=http ssl="" ssl_conf=""
  CACERT=""
  if [ "$tls" = 1 ]; then
    net_make_certs "$NGINX_DIR" || { echo "start_nginx: openssl could not make the certificates" >&2; return 1; }
    scheme=https ssl=" ssl"
    CACERT=$NGINX_DIR/ca.pem
    ssl_conf="ssl_certificate $NGINX_DIR/server.pem; ssl_certificate_key $NGINX_DIR/server.key;"
  fi
  # One `location =` per file; the stored copy is a symlink named by its sha256.
  local rel path sha size target locations="" is_slow s
  while IFS= read -r -d '' rel; do
    case $rel in *[!A-Za-z0-9._/-]*) echo "start_nginx: skipping $rel (name needs URL escaping)" >&2; continue ;; esac
    path=$files_dir/$rel
    sha=$(sha256sum "$path") && sha=${sha%% *}
    size=$(stat -c %s "$path")
    ln -sf "$path" "$NGINX_DIR/store/lfs/$sha"
    is_slow=0
    for s in "${slow[@]}"; do [ "$s" = "$rel" ] && is_slow=1; done
    target=lfs; [ "$is_slow" = 1 ] && target=lfs-slow
    locations+="
    location = /datasets/$HUB_REPO_ID/resolve/$HUB_REVISION/$rel {
      add_header X-Linked-Size $size always;
      add_header X-Linked-Etag '\"$sha\"' always;
      add_header X-Repo-Commit $HUB_REVISION always;
      return 302 \$lv_storage/$target/$sha;
    }"
  done < <(find "$files_dir" -type f -printf '%P\0' | sort -z)

  local user_line="" attempt port1 port2
  # As root, nginx would switch its workers to `nobody`, who cannot read a mktemp folder.
  [ "$(id -u)" -eq 0 ] && user_line="user root root;"
  for attempt in 1 2 3 4 5; do
    port1=$(net_free_port 127.0.0.1); port2=$(net_free_port 127.0.0.2)
    cat >"$NGINX_DIR/nginx.conf" <<EOF
# written by tests/net/harness.sh
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log info;
events { worker_connections 128; }
http {
  default_type application/octet-stream;
  server_tokens off;
  sendfile on;
  keepalive_timeout 10s;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  log_format lv escape=json '{"t":\$msec,"host":"\$server_addr","method":"\$request_method",'
    '"uri":"\$request_uri","status":\$status,"range":"\$http_range","if_range":"\$http_if_range",'
    '"authorization":"\$http_authorization","bytes":\$bytes_sent,"body_bytes":\$body_bytes_sent,'
    '"completion":"\$request_completion","user_agent":"\$http_user_agent"}';
  map \$http_range \$lv_slow_rate {
    "~^bytes=0*[1-9]" 0;
    default $NGINX_SLOW_RATE;
  }
  server {
    listen 127.0.0.1:$port1$ssl;
    server_name hub;
    $ssl_conf
    access_log $NGINX_DIR/hub.access.log lv;
    set \$lv_storage $scheme://127.0.0.2:$port2;
    $locations
    location / { return 404; }
  }
  server {
    listen 127.0.0.2:$port2$ssl;
    server_name storage;
    $ssl_conf
    access_log $NGINX_DIR/storage.access.log lv;
    root $NGINX_DIR/store;
    location /lfs/ { }
    location /lfs-slow/ {
      alias $NGINX_DIR/store/lfs/;
      limit_rate \$lv_slow_rate;
    }
    location / { return 404; }
  }
}
EOF
    : >"$NGINX_DIR/hub.access.log"; : >"$NGINX_DIR/storage.access.log"
    "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
      </dev/null >>"$NGINX_DIR/nginx.out" 2>&1 &
    NGINX_PID=$!
    local i
    for i in $(seq 1 100); do
      if ! kill -0 "$NGINX_PID" 2>/dev/null; then break; fi
      if net_port_open 127.0.0.1 "$port1" && net_port_open 127.0.0.2 "$port2"; then
        HUB_URL=$scheme://127.0.0.1:$port1
        STORAGE_URL=$scheme://127.0.0.2:$port2
        HUB_LOG=$NGINX_DIR/hub.access.log
        STORAGE_LOG=$NGINX_DIR/storage.access.log
        export HUB_URL STORAGE_URL NGINX_DIR HUB_LOG STORAGE_LOG CACERT NGINX_PID
        net_nginx_watchdog
        return 0
      fi
      sleep 0.05
    done
    kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=""
    grep -q "Address already in use" "$NGINX_DIR/error.log" "$NGINX_DIR/nginx.out" 2>/dev/null || break
  done
  echo "start_nginx: nginx did not start; its log:" >&2
  tail -n 20 "$NGINX_DIR/error.log" "$NGINX_DIR/nginx.out" >&2 2>/dev/null
  return 1
}

# nginx has no timer of its own: if the sourcing shell dies without its trap (ctest's
# timeout kills it), or after $NGINX_TIMEOUT seconds (default 300), this stops nginx.
net_nginx_watchdog() {
  local owner=$$ pid=$NGINX_PID limit=${NGINX_TIMEOUT:-300}
  (
    trap '' INT
    end=$((SECONDS + limit))
    while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
      sleep 1
    done
    kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null
  ) </dev/null >/dev/null 2>&1 &
  NGINX_WATCHDOG=$!
}

stop_nginx() {
  if [ -n "${NGINX_WATCHDOG:-}" ]; then
    kill "$NGINX_WATCHDOG" 2>/dev/null; wait "$NGINX_WATCHDOG" 2>/dev/null
    NGINX_WATCHDOG=""
  fi
  if [ -n "${NGINX_PID:-}" ]; then
    kill -TERM "$NGINX_PID" 2>/dev/null   # fast shutdown of the master and its worker
    local i
    for i in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=""
  fi
  if [ -n "${NGINX_DIR:-}" ] && [ -z "${NET_KEEP:-}" ]; then rm -rf "$NGINX_DIR"; fi
  NGINX_DIR=""
}

start_fault() {
  local file
  [ -f "${1:-}" ] || { echo "start_fault: no file ${1:-}" >&2; return 1; }
  file=$(realpath "$1")
  FAULT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lv-fault.XXXXXX")
  FAULT_LOG=$FAULT_DIR/requests.jsonl
  FAULT_CHANGED=$FAULT_DIR/changed.bin
  # The "new" content of /changed/: same length, first 8 bytes different.
  { printf 'CHANGED!'; tail -c +9 "$file"; } >"$FAULT_CHANGED"
  : >"$FAULT_LOG"
  "$NET_PY" "$NET_HARNESS_DIR/fault_server.py" --file "$file" --changed-file "$FAULT_CHANGED" \
    --log "$FAULT_LOG" --port-file "$FAULT_DIR/port" --timeout "${FAULT_TIMEOUT:-120}" --owner-pid $$ \
    </dev/null >>"$FAULT_DIR/server.out" 2>&1 &
  FAULT_PID=$!
  local i port
  for i in $(seq 1 100); do
    if [ -s "$FAULT_DIR/port" ]; then
      port=$(cat "$FAULT_DIR/port")
      FAULT_URL=http://127.0.0.1:$port
      FAULT_URL2=http://127.0.0.2:$port
      export FAULT_URL FAULT_URL2 FAULT_LOG FAULT_PID FAULT_DIR FAULT_CHANGED
      return 0
    fi
    kill -0 "$FAULT_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "start_fault: the fault server did not start:" >&2
  cat "$FAULT_DIR/server.out" >&2
  return 1
}

stop_fault() {
  if [ -n "${FAULT_PID:-}" ]; then
    kill -TERM "$FAULT_PID" 2>/dev/null
    local i
    for i in $(seq 1 40); do kill -0 "$FAULT_PID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$FAULT_PID" 2>/dev/null
    wait "$FAULT_PID" 2>/dev/null
    FAULT_PID=""
  fi
  if [ -n "${FAULT_DIR:-}" ] && [ -z "${NET_KEEP:-}" ]; then rm -rf "$FAULT_DIR"; fi
  FAULT_DIR=""
}

net_stop_all() {
  stop_nginx
  stop_fault
}

logq() {
  "$NET_PY" - "$@" <<'PYEOF'
import json, sys
log, expr = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "count"
rows = []
with open(log, errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if eval(expr, {}, {"r": r}):
            rows.append(r)
if mode == "count":
    print(len(rows))
else:
    for r in rows:
        print(json.dumps(r, sort_keys=True))
PYEOF
}

net_manifest() {
  "$NET_PY" - "$@" <<'PYEOF'
import hashlib, json, os, sys
args = sys.argv[1:]
out = args.pop(0)
unknown = False
url_base = None
while args and args[0].startswith("--"):
    opt = args.pop(0)
    if opt == "--unknown":
        unknown = True
    elif opt == "--url-base":
        url_base = args.pop(0)
    else:
        sys.exit("net_manifest: unknown option " + opt)
files_dir, names = args[0], args[1:]
repo, rev = os.environ["HUB_REPO"], os.environ["HUB_REVISION"]
entries = []
for name in names:
    path = os.path.join(files_dir, name)
    size, sha = None, None
    if not unknown:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        size, sha = os.path.getsize(path), h.hexdigest()
    url = (url_base.rstrip("/") + "/" + name) if url_base else \
        "https://huggingface.co/%s/resolve/%s/%s" % (repo, rev, name)
    entries.append({"path": name, "size": size, "sha256": sha, "url": url})
doc = {"format": "llava-verify-manifest/1",
       "source": {"repository": repo, "revision": rev, "url": "https://huggingface.co/" + repo},
       "files": entries}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PYEOF
}
