#!/usr/bin/env python3
"""add_user.py NAME: an account for NativeAuthenticator, authorized, with the password read from
stdin (never from the command line or the environment, which `ps` and `docker inspect` show).
Written to the hub's database, which the running hub reads at each login. Exit 3: the name is taken."""
import sys

import bcrypt
from jupyterhub import orm
from nativeauthenticator.orm import UserInfo

DB = "sqlite:////srv/jupyterhub/data/jupyterhub.sqlite"


def main():
    name = sys.argv[1]
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        sys.exit("add_user.py: no password of 8 characters or more on stdin")
    db = orm.new_session_factory(DB)()
    UserInfo.__table__.create(db.get_bind(), checkfirst=True)
    if UserInfo.find(db, name) is not None:
        print(f"user {name} exists", file=sys.stderr)
        sys.exit(3)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    db.add(UserInfo(username=name, password=hashed, is_authorized=True))
    db.commit()


if __name__ == "__main__":
    main()
