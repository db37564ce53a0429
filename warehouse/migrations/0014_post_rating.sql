-- A review's star rating (1 to 5) as a column of its post: App Store reviews give one; every
-- other post has none (NULL). Reviews stored before carry their rating in `score` (the
-- listener still fills both), so they get theirs from there.
ALTER TABLE _posts ADD COLUMN rating SMALLINT;
UPDATE _posts SET rating = score WHERE platform = 'appstore' AND score BETWEEN 1 AND 5;
