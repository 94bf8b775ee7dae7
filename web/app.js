// The search page of `colloquy serve` (issue #14): filled in by the web work.
