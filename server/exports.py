"""A file the server hands out (payroll, ledger, track, printed card): made by one function in its
domain, sent the same way by the API, the console and the command line."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response


@dataclass(frozen=True)
class ExportFile:
    name: str  # ASCII: codes, dates and UUIDs (the title inside the file is Chinese)
    mime: str
    body: bytes
    inline: bool = False  # shown in the browser (a PDF to print) rather than downloaded
    items: int = 0  # the records it holds (a command's summary line)

    def response(self) -> Response:
        disposition = "inline" if self.inline else "attachment"
        return Response(self.body, mimetype=self.mime,
                        headers={"Content-Disposition": f'{disposition}; filename="{self.name}"'})
