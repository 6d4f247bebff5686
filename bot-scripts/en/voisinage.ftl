### bot-scripts/en/voisinage.ftl — EVERYTHING THE BOT SAYS, in English.
###
### The French file (bot-scripts/fr/voisinage.ftl) has exactly the same messages; French is
### the main language, and the bot falls back to it if a message cannot be found here.
###
### How to edit this file safely
### -------------------------------
### The format is Fluent (https://projectfluent.org/fluent/guide/). Each message looks like:
###
###     identifier = The text the bot sends, with { $variable } in it.
###
### 1. NEVER change an identifier (left of the "="): the program asks for it by name. A message
###    added here must also be added to the French file, and the other way round: the test
###    refuses a message that exists in only one language.
### 2. Keep the { $variables } as they are (braces, dollar sign, same name): the program
###    replaces them with the item's name, the post number... You may move them within the
###    sentence or drop one, but not invent new ones.
### 3. Text over several lines: every following line starts with at least one space. A
###    following line must not start with [ or * or . (they have a special meaning): put
###    another character first. An empty line in the middle of the text is kept.
### 4. Choices ({ $count -> ... }, { $direction -> ... }): each variant in square brackets is
###    one version of the sentence; the one marked with * is the default and must stay.
###    [one] = exactly one, [other] = any other number.
###    { $has_when -> [yes] ... *[no] { "" } }: the [yes] part only shows when there are
###    dates; { "" } means "nothing".
### 5. To write a brace { or } in the text, type { "{" } or { "}" }.
### 6. Lines starting with # are comments: the bot never sends them.
### 7. Check with `cargo test` (from the project folder): a mistake is reported with the file
###    name and the line number. The bot reads this file when it is compiled: rebuild to ship
###    your changes.
###
### Tone: friendly, short sentences. Messages posted in group chats (post recorded, relayed
### lines) must fit on one line. Commands stay in French: they are the same for everybody.

## Help and welcome

# Answer to /aide.
help =
    👋 I'm the neighbourhood mutual-aid bot: I keep track of what neighbours lend, give away or are looking for, and I put people who can help each other in touch.

    To post, just write as you would to a neighbour:
      "I can lend my drill on Saturday"
      "anyone have a ladder?"

    Commands:
    /aide — this message
    /annonces [category] — current posts in the neighbourhood
    /chercher WORD — search the posts
    /mes-annonces — your current posts
    /fini N — close your post #N (returned, found, given…)
    /garder N — keep your post #N open longer
    /emprunte N — borrow what post #N offers; /prete N @Name — lend it
    /accepte, /refuse, /rendu, /prolonger, /merci — the rest of a loan; /prets — your loans
    /courriel ADDRESS — get the posts by email (in Matrix, start commands with !)
    /mairie MESSAGE — write to your town hall, privately (never to the group)
    /langue fr|en — the language I answer you in (Langue : /langue fr)

# When a neighbour joins an area's room or opens the console. $area: the area's name.
welcome = Welcome to the { $area } neighbours! 👋 Here we lend, give and help each other out. Just write what you're offering or looking for, and I'll take care of the rest. Send /aide to learn more.

## Finding one's area

ask-postcode = To connect you with your neighbourhood, what's your postcode? You can also share your location.
# $code: the postcode that was sent.
postcode-unknown = I don't know a neighbourhood for postcode { $code } yet. Please check the number, or share your location.
# $areas: a list "Name (identifier), Name (identifier)".
postcode-several = Postcode { $code } covers several neighbourhoods: { $areas }. Which one is yours? Reply with the identifier in parentheses, or share your location.
# $slug: the area identifier that was sent.
area-unknown = I can't find the neighbourhood "{ $slug }". Please check the spelling, or send your postcode.


onboarding-welcome = Hello! 👋 I connect neighbours of the same area to lend, give and help each other. To find your area, send your postcode (for example 35400), or share your location with the button below.
share-location-button = 📍 Share my location
location-outside = This location is in none of our areas yet. Send your postcode to check.
area-links =
    🏘️ Your area: { $area }.
    { $has_telegram ->
        [yes] Telegram group: { $telegram }
       *[no] The area's Telegram group has no invite link yet.
    }
    { $has_matrix ->
        [yes] Matrix room: { $matrix }
       *[no] No Matrix room for this area yet.
    }
    The email digest is coming soon.
    /posts shows the current posts; another postcode changes your area.
direct-hint = To post, write in the { $area } group: every neighbour will see it. Here you can use /posts, /search, /my-posts, or send another postcode.

## Linking a group to an area

bot-joined = Hello! I am the neighbours' mutual-aid bot. A group administrator can link this group to its area with /relier AREA (for example /relier { $example }).
link-ok = ✅ This group is now the { $area } area's group. Messages from neighbours on other channels will be relayed here. Make me an administrator with the right to invite, so I can give new neighbours an invite link.
link-refused = Sorry, only a group administrator can link this group to an area or unlink it.
link-usage = Say which area, for example: /relier { $example }. Areas: { $areas }.
link-unknown-area = I don't know the area "{ $slug }". Areas: { $areas }.
link-in-group-only = This command is used in the group to link, by one of its administrators.
unlink-ok = This group is no longer linked to the { $area } area: I will relay nothing more here.
unlink-not-linked = This group is not linked to any area.

## Matrix

matrix-room-name = Voisinage · { $area }
matrix-room-topic = Mutual aid between neighbours of { $area }: lend, give, ask. Messages are relayed with the area's other channels. Be kind; no advertising. !aide for the commands.

## Email

rhythm-each = with every message
rhythm-daily = once a day
rhythm-weekly = once a week
email-usage = To get the area's posts by email: /courriel you@example.org (once a week), or add the rhythm: /courriel you@example.org daily, or each (every message).
email-confirm-subject = Please confirm your subscription to { $area }'s posts
email-confirm-link = Confirm my subscription
email-confirm-body =
    Hello,

    Someone (probably you) asked to receive the mutual-aid posts of the neighbours of { $area } by email, { $rhythm }.

    To confirm, follow this link: { $link }

    If it was not you, just ignore this message: you will receive nothing.
email-confirm-sent = 📧 A confirmation email is on its way to { $address }. Follow its link to receive { $area }'s posts { $rhythm }. Without confirmation, nothing is sent.
email-confirm-already = 📧 A confirmation was already sent to { $address } today at { $time }: please look in your spam folder too.
email-relay-subject = { $name } — neighbours of { $area }
email-footer = You receive this email because you subscribed to { $area }'s posts.
email-unsubscribe = Unsubscribe
email-unsubscribe-text = To unsubscribe, open this link:

## Web pages (confirmation, unsubscribe)

web-confirm-title = Confirm your subscription
web-confirm-text = Receive { $area }'s posts at { $address }, { $rhythm }?
web-confirm-button = Yes, I confirm
web-confirmed = Done: { $address } will receive { $area }'s posts { $rhythm }. Every email has a link to unsubscribe.
web-unsubscribe-title = Unsubscribe
web-unsubscribe-text = Stop receiving the posts at { $address }?
web-unsubscribe-button = Unsubscribe me
web-unsubscribed = Done: { $address } will no longer receive { $area }'s posts.
web-bad-link = This link is not (or no longer) valid. For a subscription, ask again from your area's group with /courriel.
# The database failed while a page was asked for (details in the log).
web-try-again-title = Just a moment
web-try-again = The service is briefly unavailable. Please try again in a moment.
email-which-area = This postcode covers several areas. Answer "inscription" followed by your area's identifier: { $areas }.
email-reply-line = To answer this neighbour, just reply to this email (or write to { $address }).
email-reply-button = ✉️ Reply to this neighbour
email-not-subscribed =
    Hello,

    Your message was not passed on: this address is not subscribed to any area's posts.

    To subscribe, answer this email with "inscription" and your postcode (for example: inscription 35800), or write "/courriel your@address" to the bot on Telegram or Matrix. You will receive a confirmation link.

## Posts

# Posted in the group when a message becomes a post.
# $direction: offer or request; $item: the thing; $category: its category; $number: the post
# number; $has_when: yes when there are dates, otherwise no; $when: the dates ("13 June").
post-recorded =
    { $direction ->
        [request]
            🔎 Request #{ $number } noted: { $item } ({ $category }){ $has_when ->
                [yes] { " · " }{ $when }
               *[no] { "" }
            }. I'll let the neighbours know.
       *[offer]
            📌 Offer #{ $number } noted: { $item } ({ $category }){ $has_when ->
                [yes] { " · " }{ $when }
               *[no] { "" }
            }. Thank you!
    }

# A message relayed from one channel to the others. $channel: Telegram, Matrix, email...
relay-line = { $name } ({ $channel }): { $text }

# To the person looking for something: a neighbour offers it. $number: their post number.
match-for-requester = 🤝 Good news: { $name } ({ $channel }) has what you're looking for: { $item } (post #{ $number }). Reply in the neighbourhood room, or mention their name so they see it. If it's a loan: /emprunte { $offer } to ask for it.
# To the person offering something: a neighbour is looking for it. $number: their post number.
match-for-offerer = 🤝 { $name } ({ $channel }) is looking for what you're offering: { $item } (post #{ $number }). Reply in the neighbourhood room, or mention their name so they see it. If it's a loan: /prete { $offer } @{ $name } to offer it to them.

## /annonces

# $has_category: yes when a category ($category) was asked for, otherwise no.
posts-header =
    📋 { $count ->
        [one] { $count } current post
       *[other] { $count } current posts
    }{ $has_category ->
        [yes] { " " }({ $category })
       *[no] { " " }in the neighbourhood
    }:
# One line of the list. $author: who posted it; $has_when / $when: as in post-recorded.
posts-line =
    #{ $number } { $direction ->
        [request] 🔎 request
       *[offer] 📌 offer
    }: { $item } ({ $category }){ $has_when ->
        [yes] { " · " }{ $when }
       *[no] { "" }
    } — { $author }
posts-none =
    { $has_category ->
        [yes] No current posts in "{ $category }" yet.
       *[no] No current posts in the neighbourhood yet.
    } Go ahead: write what you can lend or what you're looking for!

## /chercher

search-header =
    🔍 { $count ->
        [one] { $count } post found
       *[other] { $count } posts found
    } for "{ $query }":
search-none = Nothing found for "{ $query }". Try another word, or ask the neighbours: "anyone have…?"
search-usage = Say what you're looking for after the command, for example: /chercher ladder

## /mes-annonces

my-posts-header =
    { $count ->
        [0] You have no current posts.
        [one] Your current post (/fini N to close it):
       *[other] Your { $count } current posts (/fini N to close one):
    }
my-posts-none = You have no current posts. To post, just write what you can lend or what you're looking for.

## /fini

closed-ok = ✅ Post #{ $number } ({ $item }) closed. Thanks for helping out the neighbourhood!
closed-not-found = I can't find post #{ $number }. /mes-annonces shows your posts and their numbers.
closed-not-yours = Post #{ $number } isn't yours: only the person who posted it can close it.
closed-already = Post #{ $number } is already closed.
closed-usage = Please give the post number, for example: /fini 12 (/mes-annonces shows your numbers).
closed-reply-none = I find no post in the message you are replying to. /my-posts shows your posts and their numbers.

## Language

# Answer to /langue en. Written in the new language.
language-set = Noted: I'll answer you in English.
# /langue without a language.
language-usage = I speak French (/langue fr) and English (/langue en).
# A language the bot does not speak. $code: what was written.
language-unknown = I don't know the language "{ $code }". I speak French (/langue fr) and English (/langue en).

## Command errors

unknown-command = I don't know the command { $command }. Send /aide to see the list.
# $categories: the list of possible categories.
unknown-category = I don't know the category "{ $category }". Possible categories: { $categories }.

## Partners

# When no neighbour offered what a request asks for, after a day: one suggestion of a partner
# service (tool library, repair café…), as a reply to the request.
# $item: what is asked for; $partner: the partner's name; $description: what it does;
# $link: its link; $paid: yes when the partner pays for this link (then it must say so).
partner-suggestion = 🧭 A partner suggestion: no neighbour has offered "{ $item }" yet. { $partner } may help: { $description }. { $link }{ $paid ->
        [yes] { " " }(affiliate link)
       *[no] { "" }
    }
# The subject of the email carrying this suggestion.
partner-suggestion-subject = A lead for your request: { $item }
# The page of an unknown or damaged partner link.
web-partner-link-title = Link not found
web-partner-link-bad = This partner link does not exist or is no longer valid. Your neighbours can surely help: ask in your neighbourhood room.

## Display words

direction-offer = offer
direction-request = request

channel-console = console
channel-telegram = Telegram
channel-matrix = Matrix
channel-email = email

category-bricolage = DIY
category-jardinage = gardening
category-cuisine = cooking
category-maison = home
category-mobilite = getting around
category-enfants = children
category-loisirs = leisure
category-high_tech = tech
category-vetements = clothes
category-animaux = pets
category-alimentation = food
category-education = education
category-sante = health
category-entraide = helping out
category-autre = other

## Technical problem

error-internal = Oops, something went wrong on my side. Your message is safely kept: please try again a bit later.
# voisinage try, when a line it reads is not UTF-8. $line: its number.
try-line-not-utf8 = Line { $line } skipped: it is not UTF-8 text (save the file as UTF-8). Going on with the next one.

## Digests (the email's words; its layout is bot-scripts/email/digest.*.j2)

digest-subject = { $period ->
        [day] Voisinage { $area }: news of { $date }
       *[week] Voisinage { $area }: the week to { $date }
    }
digest-intro = { $period ->
        [day] Hello! Here is the news of the { $area } neighbourhood ({ $dates }).
       *[week] Hello! Here is the week in the { $area } neighbourhood ({ $dates }).
    }
digest-offers-heading = Offered by your neighbours
digest-requests-heading = Sought by your neighbours
digest-unanswered-heading = Still unanswered: can you help?
digest-coming-heading = In the coming days
digest-reply-text = To answer: write to { $address }
digest-more = And { $count ->
        [one] one more post
       *[other] { $count } more posts
    }: send /annonces in the neighbourhood group to see them all.
digest-figures = In figures: { $members ->
        [0] no new neighbours
        [one] one new neighbour
       *[other] { $members } new neighbours
    }, { $offers ->
        [0] no offers
        [one] 1 offer
       *[other] { $offers } offers
    }, { $requests ->
        [0] no requests
        [one] 1 request
       *[other] { $requests } requests
    }, { $matches ->
        [0] no matches
        [one] 1 match
       *[other] { $matches } matches
    }{ $loans ->
        [0] { "" }
        [one] , 1 loan started
       *[other] , { $loans } loans started
    }{ $returned ->
        [0] { "" }
        [one] , 1 loan returned
       *[other] , { $returned } loans returned
    }.
digest-partner-heading = A partner can help
digest-partner-line = For "{ $item }", until a neighbour offers it: { $name } — { $description }.
digest-partner-paid = paid partner link
digest-label = { $label }:
digest-room-summary = 📰 { $period ->
        [day] Today
       *[week] This week
    } in { $area }: { $offers ->
        [0] no offers
        [one] 1 offer
       *[other] { $offers } offers
    }, { $requests ->
        [0] no requests
        [one] 1 request
       *[other] { $requests } requests
    }, { $matches ->
        [0] no matches
        [one] 1 match
       *[other] { $matches } matches
    }. New: { $items }. To see everything: { $command }

## Expiry of posts

post-expiry-reminder = ⏳ Your post no. { $number } ({ $item }) will be removed on { $date }. Still current? Answer /garder to this message to keep it { $days } more days, or /fini if it is settled.
post-expired = 📦 Your post no. { $number } ({ $item }) was removed after { $days } days. Post it again if needed.
kept-ok = ✅ Post no. { $number } ({ $item }) kept until { $date }.
keep-usage = To keep a post, answer /garder to the reminder, or send /garder followed by its number.
email-notice-subject = Your post on Voisinage

## Failure notices (issue 14): a copy of a neighbour's message failed for good

# To the author, in reply to their message. $excerpt: the start of the message; $to:
# room-telegram, room-matrix, room-email (an area's room), person (an email subscriber, $name:
# their name) or someone (no name); $name: the room's or subscriber's name; $cause: gone (the
# bot lost access), refused or exhausted (kept failing); $room: yes for a room.
failure-notice = ⚠️ Your message “{ $excerpt }” could not be passed on ({ $to ->
        [room-telegram] Telegram group “{ $name }”
        [room-matrix] Matrix room “{ $name }”
        [room-email] email list “{ $name }”
        [person] email to { $name }
       *[someone] an email subscriber
    }: { $cause ->
        [gone] { $room ->
            [yes] the bot no longer has access
           *[no] address refused
        }
        [refused] { $room ->
            [yes] message refused
           *[no] address refused
        }
       *[exhausted] still failing after several attempts
    }).
failure-notice-subject = Your message could not be passed on everywhere

## /courriel in a group (issue 14, defect 9): the answer, read by everyone, does not repeat the address

# As email-confirm-sent / email-confirm-already, said in a group or a room ($address is left out
# on purpose).
email-confirm-sent-public = 📧 Noted: a confirmation email is on its way to the address you gave. Follow its link to receive { $area }'s posts { $rhythm }. To keep your address from the whole group, send /courriel to the bot in a private chat instead.
email-confirm-already-public = 📧 A confirmation was already sent to that address today at { $time }: please look in your spam folder too. To keep your address from the whole group, write to the bot in a private chat instead.
email-answered-privately = 📧 I answered you in a private message, so that your address does not stay in front of the whole group.
private-chat-link = Private chat with the bot: { $link }
## Questions when the bot is unsure, and corrections (issue 13)

reading =
    { $direction ->
        [request] a request for { $item }
       *[offer] an offer of { $item }
    }
question-unsure =
    🤔 { $name }, did I understand: { $readings }?
    Until you answer, I neither announce it nor look for anyone.
    Answer { $yes } if that is right, { $no } if it is not a post, or { $correct } followed by what it is, for example "{ $correct } demande échelle" or "{ $correct } offre don vélo".
question-button-yes = Yes, it is { $reading }
question-button-no = No
question-button-correct = Correct
question-answered-yes = ✅ Thank you { $name }, noted.
question-answered-no = 👌 Understood, it is not a post: I leave it.
question-expired = ⌛ Without an answer from you, I announced nothing.
answer-yes = ✅ Thank you, noted and announced to the neighbourhood.
answer-no = 👌 Understood: this message is not a post, I leave it.
answer-nothing-asked = I have no question waiting for you. To correct a post, answer my "recorded" message with { $correct } followed by what it is.
answer-not-yours = Only the person who wrote this message (or an area moderator) may answer or correct it.
correct-how = Answer my question with { $correct } followed by what it is, for example "{ $correct } demande échelle".
corrected = ✏️ Corrected: { $readings }.
corrected-none = ✏️ Corrected: it is not a post. I removed it.
corrected-notice = ✏️ Corrected by its author: { $readings }.
corrected-notice-none = ✏️ Removed by its author: it was not a post.
correct-usage = Say what it is: { $correct } followed by "offer" or "request", optionally "loan", "gift", "swap" or "sale", then the thing. For example "{ $correct } request ladder", "{ $correct } offer loan drill", or "{ $correct } not a post".
correct-nothing = I find no message to correct. Answer my "recorded" message (or my question) with { $correct } followed by what it is.
match-void = ↩️ { $name } corrected their post: it no longer fits yours ({ $item }). Your post stays open.
## Moderation and personal data (issue 14)
moderation-reply-needed = Reply to the message concerned (or one of its copies) with this command.
moderation-not-found = I cannot find this message in an area I know.
moderation-refused = Sorry, only the area's moderators (the administrators of its groups and rooms, and the people named) can use this command.
moderation-already-removed = This message is already removed.
moderation-removed = 🗑 { $name }'s message removed ({ $copies ->
        [0] no copy to take down
        [one] { $copies } copy taken down
       *[other] { $copies } copies taken down
    }) and its posts closed. Emails already sent cannot be recalled: it will not appear in the digests any more.
moderation-ban-moderator = { $name } cannot be banned: they moderate this area (or it is you).
moderation-already-banned = { $name } is already banned from this area.
moderation-banned = 🚫 { $name } is banned from the area: I no longer read or relay their messages, on any of their accounts. /unban in reply to one of their messages undoes it.
moderation-not-banned = { $name } is not banned from this area.
moderation-unbanned = ✅ { $name } is no longer banned: their messages are read and relayed again.
moderation-log-empty = The area's moderation log is empty.
moderation-log-header = 📒 Moderation log ({ $count ->
        [one] the latest action
       *[other] the latest { $count } actions
    }):
moderation-log-line = { $when } — { $action ->
        [delete] { $actor } removed message #{ $message } by { $subject } ({ $copies } copies)
        [ban] { $actor } banned { $subject }
        [unban] { $actor } lifted the ban of { $subject }
       *[report] { $actor } reported message #{ $message } by { $subject }
    }
report-reply-needed = To report a message, reply to it with /report. Only the moderators will know.
report-thanks = Thank you, your report went privately to the area's moderators. Nobody else knows.
report-subject = A report in your area
report-notice = ⚠️ Report ({ $area }) by { $reporter } ({ $channel }): message by { $name }:
    "{ $text }"
    Reply to this message with /remove to take it down everywhere, or /ban to stop reading its author.
my-data-subject = Your data on Voisinage
my-data-intro = Here is everything I keep about you (your accounts, messages, posts, subscriptions, messages sent to you and moderation decisions about you), as JSON. /forget erases it all.
my-data-sent-privately = I sent you your data privately. If nothing arrives, write to me privately first, then ask /my-data again.
my-data-no-private = I cannot write to you privately here. Open a private conversation with me and send { $command } there: your data will arrive there.
forget-ask = ⚠️ Do you really want me to forget you? I will erase your messages (and their copies where possible), your posts, your subscriptions and your accounts. This is final. To confirm, send { $command } within { $minutes } minutes.
forget-done = Done: your messages, posts, subscriptions and accounts are erased. Goodbye, and thank you for helping your neighbours!
## Authenticated email (issue 14): mail under a subscriber's address that could not be
## verified is held; its owner confirms it. Relayed emails come "via" the bot.
email-from-via = { $name } via { $bot }
email-held-subject = Did you write this message to your neighbours?
email-held-link = See the message and post it
email-held-body =
    Hello,

    { $every ->
        [yes] An email in your name ({ $address }) arrived for the neighbours of { $area }. Here, every email must be confirmed by its author before it is passed on.
       *[no] An email in your name ({ $address }) arrived for the neighbours of { $area }, but your mail provider does not let us check that it really comes from you. It was passed on to nobody.
    }

    Subject: “{ $subject }”

    If it was you, open this link to see it and post it: { $link }

    Otherwise, do nothing: it will be deleted in 7 days and nothing will be posted in your name.
web-held-title = Did you write this message?
web-held-intro = This email arrived in your name ({ $address }). It has not been passed on to anyone yet.
web-held-subject = Subject: { $subject }
web-held-button = Yes, it was me: post it
web-held-not-me = Not you? Just close this page: nothing will be posted, and the message will be deleted in 7 days.
web-held-others = Other messages waiting in your name:
web-held-posted = Posted: your neighbours in { $area } will receive your message.
web-held-already = This message was already posted.
web-held-not-subscribed = This address no longer follows any area: the message was not posted. Subscribe again from your area's group with /courriel.

## Loans (issue 16): "/emprunte 12", "/prete 12 @Jeanne", /accepte, /rendu, /prets
## Common arguments: $loan (loan no.), $offer (post no.), $item, $lender, $borrower, $date.

email-loan-subject = Your loan on Voisinage
loan-borrow-usage = Give the post's number, for example: /emprunte 12 (or /emprunte 12 7 for 7 days).
loan-lend-usage = Give your post's number and the person, for example: /prete 12 @Jeanne (or /prete 12 @Jeanne 7 for 7 days).
loan-offer-not-found = I can't find a current offer no. { $offer } in the neighbourhood. /annonces shows the offers and their numbers.
loan-own-offer = Post no. { $offer } is yours: to lend it, use /prete { $offer } @Name.
loan-not-your-offer = Post no. { $offer } is not yours: to borrow it, use /emprunte { $offer }.
loan-already-yours = Loan no. { $loan } ({ $item }) is already yours, until { $date }.
loan-waiting = { $item } (post no. { $offer }) is already promised to a neighbour. You are no. { $place } on the waiting list: I'll tell you as soon as it's free.
loan-waiting-lent = { $item } (post no. { $offer }) is lent until { $date }. You are no. { $place } on the waiting list: I'll tell you as soon as it's back.
loan-offer-busy = { $item } (post no. { $offer }) is already loan no. { $loan } to { $borrower }, until { $date }.
loan-offer-taken = Post no. { $offer } was just offered to someone else. Try /emprunte { $offer } again to join the waiting list.
loan-lend-who = { $count ->
        [0] Nobody has asked for what post no. { $offer } offers yet. When a neighbour does, answer /prete { $offer } @Name.
       *[other] Who are you lending to? Give the name: /prete { $offer } @Name ({ $names }).
    }
loan-proposed-to-lender = 📦 { $borrower } would like to borrow your { $item } (post no. { $offer }) until { $date }. Answer /accepte { $loan } to confirm, or /refuse { $loan }.
loan-proposed-to-borrower = 📦 { $lender } offers to lend you { $item } (post no. { $offer }) until { $date }. Answer /accepte { $loan } to confirm, or /refuse { $loan }.
loan-proposal-sent = Loan proposal no. { $loan } ({ $item }, until { $date }) sent to { $other }. Nothing is lent until { $other } confirms; /annule { $loan } withdraws it.
loan-which = Which one? Give the loan's number: { $loans }. /prets shows your loans.
loan-none = I can't find that loan among yours. /prets shows your loans and their numbers.
loan-active = ✅ Loan no. { $loan } confirmed: { $item } lent by { $lender } to { $borrower } until { $date }. When it's back: /rendu { $loan }.
loan-declined = ❌ Loan proposal no. { $loan } ({ $item }) was declined.
loan-declined-ok = Noted: loan no. { $loan } ({ $item }) declined.
loan-cancelled = Loan proposal no. { $loan } ({ $item }) was withdrawn.
loan-cancelled-ok = Noted: loan proposal no. { $loan } ({ $item }) withdrawn.
loan-return-claimed = { $borrower } says they gave { $item } back (loan no. { $loan }). Is that right? Answer /rendu { $loan } to close the loan.
loan-return-claimed-ok = Thanks! I asked { $lender } to confirm that { $item } is back (loan no. { $loan }).
loan-returned-borrower = ✅ { $lender } confirms { $item } is back: loan no. { $loan } is closed. Want to say thanks? Answer /merci { $loan }.
loan-returned-lender = ✅ Loan no. { $loan } closed: { $item } is available again. Thanks for helping the neighbourhood!
loan-free-waiter = 🔔 { $lender }'s { $item } (post no. { $offer }) is available again, and you're next on the list: /emprunte { $offer } to ask for it.
loan-free-lender = 🔔 { $waiter } was waiting for your { $item } (post no. { $offer }): I told them. To lend it to them: /prete { $offer } @{ $waiter }.
loan-extension-asked = ⏳ { $borrower } would like to keep { $item } { $days ->
        [one] one more day
       *[other] { $days } more days
    } (loan no. { $loan }, due back on { $date }). Answer /prolonger { $loan } to agree.
loan-extension-asked-ok = I asked { $lender } for { $days ->
        [one] one more day
       *[other] { $days } more days
    } with { $item } (loan no. { $loan }).
loan-extended = ⏳ Loan no. { $loan } extended: { $item } is lent to { $borrower } until { $date }.
loan-thanks-already = You already thanked { $lender } for this loan. 🙂
loan-thanked = 🙏 { $borrower } thanks you for the { $item }! { $count ->
        [one] That's your first thanks.
       *[other] You have been thanked { $count } times.
    }
loan-thanks-ok = 🙏 Thanks passed on to { $lender }.
loans-none = You have no loans. To borrow: /emprunte N (N: the post's number).
loans-header = { $count ->
        [one] Your loan
       *[other] Your { $count } latest loans
    }{ $thanks ->
        [0] { "" }
        [one] { " " }(🙏 thanked once)
       *[other] { " " }(🙏 thanked { $thanks } times)
    }:
loans-line = no. { $loan } { $item } — { $role ->
        [lender] lent to { $borrower }
       *[borrower] borrowed from { $lender }
    } · { $state ->
        [proposed] proposed, to confirm
        [active] until { $date }
        [overdue] overdue since { $date }
        [returned] returned
        [cancelled] cancelled
       *[declined] declined
    }
loan-button-accept = ✅ Accept
loan-button-decline = Decline
posts-line-lent = { " " }· lent until { $date }
posts-line-photo = { "   " }📷 photo: { $url }
loan-reminder-before = ⏳ A quick reminder: { $item } borrowed from { $lender } is due back on { $date } (loan no. { $loan }). Need more time? /prolonger { $loan }.
loan-reminder-due = ⏳ It's today: { $item } borrowed from { $lender } is due back (loan no. { $loan }). Once it's back: /rendu { $loan }. Need more time? /prolonger { $loan }.
loan-reminder-overdue = ⏰ { $item } borrowed from { $lender } was due back on { $date } ({ $late ->
        [one] one day late
       *[other] { $late } days late
    }). Please give it back, or ask for more time: /prolonger { $loan }.
loan-overdue-lender = ⏰ { $item } lent to { $borrower } was due back on { $date } (loan no. { $loan }). I reminded them. To give them more time: /prolonger { $loan }; once it's back: /rendu { $loan }.
loan-email-links = To confirm: { $accept }
    To decline: { $decline }
loan-link-accept = Confirm loan no. { $loan }: { $item } lent by { $lender } to { $borrower } until { $date }?
loan-link-decline = Decline loan no. { $loan }: { $item } from { $lender } to { $borrower }?
web-loan-title = A loan between neighbours
loan-email-returned-link = To confirm it is back: { $link }
loan-link-returned = Confirm that the { $item } lent to { $borrower } is back (loan no. { $loan })?
loan-button-returned = ✅ It's back

## Photos and files (issue 15)
media-refused-copy = 📷 photo not passed on ({ $reason })
media-reason-too-large = too large
media-reason-type = unsupported format
media-reason-quota = daily limit reached
media-reason-unavailable = not found
media-refused-too-large = 📷 Your photo was not passed on to the other rooms: it is larger than { $max_mb } MB. Send it smaller (as a "photo" rather than a "file").
media-refused-type = 📎 This file was not passed on to the other rooms: its format is not accepted (accepted formats: { $types }).
media-refused-file-copy = 📎 file not passed on ({ $reason })
media-reason-file-too-large = too large
media-reason-file-type = unsupported format
media-reason-file-quota = daily limit reached
media-reason-file-unavailable = not found
media-refused-file-too-large = 📎 Your file was not passed on to the other rooms: it is larger than { $max_mb } MB.
media-refused-file-quota = 📎 Your file was not passed on to the other rooms: you reached the limit of { $max } files a day.
media-refused-file-unavailable = 📎 Your file could not be fetched; your text was passed on without it.
media-refused-quota = 📷 Your photo was not passed on to the other rooms: you reached the limit of { $max } photos a day.
media-refused-unavailable = 📷 Your photo could not be fetched; your text was passed on without it.
digest-photo = photo
digest-photo-text = 📷 Photo: { $link }
digest-file = 📎 the attached file
digest-file-text = 📎 File: { $link }

## Loans, second round (issue 16): "until when?" and loans from a match notice.
# To the proposer when nothing said until when; a reply to this message gives the date.
loan-due-question = Until when? Reply to this message with a date ("Sunday", "the 12th") or a length ("3 days"); without an answer, it will be until { $date } ({ $days } days).
loan-due-set = 📅 Loan no. { $loan }: { $item } lent by { $lender } to { $borrower } until { $date }.
loan-due-unread = I didn't understand the date. Reply for example "Sunday", "the 12th" or "3 days".
loan-due-closed = The date of loan no. { $loan } is already set (until { $date }). For more time: /prolonger { $loan }.
# Buttons and links of a match notice.
loan-button-borrow = 📦 Borrow
loan-button-lend = 📦 Lend to { $name }
loan-button-not-yours = This button is for the person the message is addressed to.
loan-email-borrow-link = To ask to borrow it: { $link }
loan-email-lend-link = To offer to lend it: { $link }
loan-link-borrow = Ask { $lender } to lend you the { $item } (post #{ $offer })?
loan-link-lend = Offer { $borrower } to lend them the { $item } (post #{ $offer })?
loan-link-lend-button = 📦 Offer the loan

## The private line to the town hall (issue 18): /mairie TEXT, in a private chat or by email
town-hall-usage = To write to your town hall: /mairie followed by your message, here in private (for example "/mairie The street light in Rue des Lilas is out"). Your message goes to the town hall's office by email, never to the group.
town-hall-private-only = To write to the town hall, send /mairie in a private message to the bot: here, the whole group would read it.
town-hall-closed = The town hall of { $commune } has not opened a private line with Voisinage yet. You can contact it directly.
town-hall-no-area = I don't know your neighbourhood yet: send your postcode, then write /mairie again.
town-hall-sent = 📨 Message passed on to the town hall of { $commune }. Its answer will reach you here.
town-hall-mail-subject = A message from a resident of { $area } (Voisinage)
town-hall-mail = { $name } ({ $channel }), a resident of { $area }, writes to you through Voisinage:

    { $text }

    Just reply to this email: your answer will reach them in their private chat with Voisinage. This message was not published in any group.
town-hall-answer = 📢 Town hall of { $commune } (answer): { $text }

## Staff pages (issue 18): signing in.
muni-signin-subject = Your sign-in link to the staff pages
muni-signin-body =
    Hello,

    To sign in to Voisinage's staff pages, follow this link and press "Sign me in": { $link }

    The link is valid for 15 minutes and works once. If you asked for nothing, ignore this mail: nobody can sign in without this link.

## Town hall polls (issue 18)
poll-question = 📢 Mairie de { $commune }: { $question }
poll-fallback-how = Answer with your app's poll, until { $closes }. One vote per person across all rooms; the last one counts.
poll-mail-subject = 📢 Mairie de { $commune }: a poll
poll-mail-intro = The town hall of { $commune } asks you a question (answers until { $closes }):
poll-mail-choose = Choose your answer (a page will ask you to confirm):
poll-results = 📢 Mairie de { $commune }: results of the poll “{ $question }” ({ $voters } voters)
poll-results-link = Per neighbourhood: { $link }
poll-vote-title = Poll of the town hall of { $commune }
poll-vote-your-choice = Your answer:
poll-vote-multiple = You may tick several answers.
poll-vote-button = Vote
poll-vote-done = Thank you, your vote is recorded: { $choices }. You may change your mind until { $closes }; only your last vote counts.
poll-vote-closed = This poll is closed: votes are no longer taken. The results: { $link }
poll-vote-invalid = This voting link is not valid (it may have been cut) or your subscription has ended.
poll-vote-none = Tick at least one answer.

## Municipal announcements (issue 18): relayed in the rooms, mailed, listed in digests.
announcement-heading = 📢 Mairie de { $commune }: { $title }
announcement-date = 📅 { $date }
announcement-place = 📍 { $place }
announcement-link = All the town hall's announcements: { $link }
announcement-mail-subject = 📢 Mairie de { $commune }: { $title }
announcement-mail-urgent = Urgent message from the town hall of { $commune }, sent to every subscriber of the area:
digest-announcements-heading = Town hall announcements

## Encrypted Matrix rooms (issue 17)
# To the author of an encrypted message the bot still cannot read (its key never reached the
# bot), once, in the room where it was written. $name: their name.
matrix-undecryptable = 🔒 { $name }, I could not read your encrypted message (its key never reached me): it was not passed on. Could you send it again?
