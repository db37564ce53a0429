"""What the platform listeners (mastodon, bluesky, reddit, hackernews) share: JSON over the
shared client, results, timestamps, and a resumable newest-first cursor walk."""
