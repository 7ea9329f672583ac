"""Converting an uploaded KML or zipped Shapefile into GeoJSON, in a child process.

``child.py`` is the child's entry point (``python -E -s -B child.py KIND LIMITS`` with the file on
standard input and the FeatureCollection, or the reason it was refused, on standard output).
Its modules import nothing from the server: the child runs without the app, its settings or
its secrets, under memory, CPU and file limits, with sockets and process creation refused.
No GDAL: KML is read by defusedxml and converted here, Shapefiles by pyshp (pure Python).
"""
