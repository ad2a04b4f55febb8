"""The web view: organizers' pages and the public results, served by tornado."""
