"""Offline basemaps: a county's tile package (MBTiles), imported by an administrator and downloaded by the phones
of that county on Wi-Fi, drawn under the grid and the segments."""
