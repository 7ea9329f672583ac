"""Real services the tests and benches start on loopback: free ports, nginx with the shipped configuration."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NGINX_MAIN = """
user root;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/riverpatrol.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(tmp: Path, web_port: int, app_port: int) -> Path:
    """deploy/nginx/riverpatrol.conf as shipped, on loopback ports, inside a main file of ``tmp``'s own."""
    site = (ROOT / "deploy/nginx/riverpatrol.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{web_port};").replace("127.0.0.1:8000",
                                                                               f"127.0.0.1:{app_port}")
    (tmp / "riverpatrol.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(NGINX_MAIN.format(tmp=tmp))
    return main


def start_nginx(tmp: Path, web_port: int, app_port: int) -> subprocess.Popen:
    main = nginx_config(tmp, web_port, app_port)
    check = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refuses the shipped configuration: {check.stderr}")
    return subprocess.Popen(["nginx", "-c", str(main)])
