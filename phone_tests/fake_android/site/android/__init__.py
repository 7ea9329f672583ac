"""The fake of p4a's ``android`` recipe module (what the app imports of it)."""
