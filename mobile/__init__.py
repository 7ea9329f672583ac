"""RiverPatrol field app (河巡): offline-first Kivy app for village river inspectors.

The core (local store, patrol recorder, sync engine, platform services) imports no Kivy,
so it is tested without a window; the screens are a thin layer over it.
"""
