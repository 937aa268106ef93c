"""Markov-chain tools shared by every part: chain statistics (and, for Part II, HMC)."""
