"""Prompt craft above the jobs: presets of the New video form, style blocks, and "Improve my
prompt" through a chat model (README: "Presets, style blocks and Improve my prompt")."""
