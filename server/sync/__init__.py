"""What the phone pulls: its cards (with the rules and progress it judges its patrols by), the
server's verdicts on its patrols, its re-check tasks and the categories in force, from one cursor.
The shapes are the wire contract's (``shared_models/wire.py``); the facts come from the other
domains' services."""
