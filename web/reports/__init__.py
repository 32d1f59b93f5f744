"""Periodic reports (`/bao-cao`) and watched indicators (`/chi-tieu-theo-doi`): pages, charts and the export."""
