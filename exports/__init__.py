"""Writers that turn stored answers into files the partnership can open."""
