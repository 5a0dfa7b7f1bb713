# Server defaults of the offline base image, as on the official images.
import os

c = get_config()  # noqa: F821 (provided by Jupyter)
# "" listens on every interface inside the container and prints "localhost" in the URL.
c.ServerApp.ip = ""
c.ServerApp.open_browser = False
c.ServerApp.port = int(os.getenv("JUPYTER_PORT", "8888"))
c.FileContentsManager.delete_to_trash = False
