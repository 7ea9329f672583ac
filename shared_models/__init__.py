"""The contract shared by the phone and the server: enums, error codes, wire schemas.

Imports neither Flask, SQLAlchemy nor Kivy.
"""
