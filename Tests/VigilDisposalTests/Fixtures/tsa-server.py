#!/usr/bin/env python3
"""A local RFC 3161 time-stamping authority for the tests, built on `openssl ts -reply`.

    python3 tsa-server.py FOLDER

Creates in FOLDER a CA (tsa-ca.pem) and a time-stamping certificate signed by it (EKU
timeStamping, critical), then serves HTTP on 127.0.0.1 at a free port: each POST of a
TimeStampReq (application/timestamp-query) is answered with `openssl ts -reply`'s
TimeStampResp. Prints "PORT <n>" on its first line of standard output once it listens, and
exits when its standard input closes (so it never outlives the test that started it).
Standard library and the openssl command only.
"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def setup():
    key, ca = os.path.join(folder, "tsa-ca.key"), os.path.join(folder, "tsa-ca.pem")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    openssl("req", "-new", "-x509", "-key", key, "-out", ca, "-days", "30", "-subj", "/O=Test TSA/CN=Test TSA CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    tsa_key, tsa_csr, tsa_pem = (os.path.join(folder, name) for name in ("tsa.key", "tsa.csr", "tsa.pem"))
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tsa_key)
    openssl("req", "-new", "-key", tsa_key, "-out", tsa_csr, "-subj", "/O=Test TSA/CN=Test TSA")
    extensions = os.path.join(folder, "tsa.ext")
    with open(extensions, "w") as handle:
        handle.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                     "extendedKeyUsage=critical,timeStamping\n")
    openssl("x509", "-req", "-in", tsa_csr, "-CA", ca, "-CAkey", key, "-CAcreateserial", "-out", tsa_pem,
            "-days", "30", "-extfile", extensions)
    with open(os.path.join(folder, "serial"), "w") as handle:
        handle.write("01\n")
    with open(os.path.join(folder, "tsa.cnf"), "w") as handle:
        handle.write(f"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {folder}/serial
crypto_device = builtin
signer_cert = {tsa_pem}
certs = {ca}
signer_key = {tsa_key}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with tempfile.TemporaryDirectory() as work:
            request, response = os.path.join(work, "q.tsq"), os.path.join(work, "r.tsr")
            with open(request, "wb") as handle:
                handle.write(query)
            result = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(folder, "tsa.cnf"),
                                     "-queryfile", request, "-out", response], capture_output=True)
            if result.returncode != 0:
                self.send_response(500)
                self.end_headers()
                return
            with open(response, "rb") as handle:
                body = handle.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=watch_stdin, daemon=True).start()
setup()
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print("PORT", server.server_address[1], flush=True)
server.serve_forever()
