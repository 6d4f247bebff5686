-- Members' language (issue 12): every answer, notice, reminder and email of a member is in
-- their language. members.lang existed but was never read; it now holds only what the bot
-- speaks. An email subscription has its own language (a subscriber need not be a member).
UPDATE members SET lang = 'fr' WHERE lang NOT IN ('fr', 'en');
ALTER TABLE members ADD CONSTRAINT members_lang CHECK (lang IN ('fr', 'en'));
ALTER TABLE email_subscriptions ADD COLUMN lang text NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr', 'en'));
