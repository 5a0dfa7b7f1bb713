#!/bin/sh
# Makes the stand-in Docker Hub's credentials in /hub, in a throwaway container of the sandbox
# image (openssl and Python are there; nothing is fetched): a CA for this run only, the
# registry's certificate for Docker Hub's names signed by it, and an htpasswd line (bcrypt) for
# the account $1, whose password is read from stdin (never an argument or an environment value).
# The CA's key is deleted once the certificate is signed: it can sign nothing else.
set -eu
cd /hub
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Sandbox Docker Hub CA (one run)" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=registry-1.docker.io" -keyout hub.key -out hub.csr 2>/dev/null
printf 'subjectAltName=DNS:registry-1.docker.io,DNS:index.docker.io\n' > san.ext
openssl x509 -req -in hub.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out hub.crt 2>/dev/null
python3 -W ignore -c '
import crypt, sys
password = sys.stdin.readline().rstrip("\n")
print(sys.argv[1] + ":" + crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH)))
' "$1" > htpasswd
rm -f ca.key ca.srl hub.csr san.ext
chmod 644 ca.crt hub.crt htpasswd
chmod 600 hub.key
