"""What the platform listeners (mastodon, bluesky, reddit, hackernews) share: JSON over the
shared client, failure handling, timestamps, and a resumable newest-first cursor walk."""
