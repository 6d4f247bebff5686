### bot-scripts/fr/voisinage.ftl — TOUT CE QUE LE BOT DIT, en français.
###
### Le fichier anglais (bot-scripts/en/voisinage.ftl) contient exactement les mêmes messages.
###
### Comment modifier ce fichier sans rien casser
### ----------------------------------------------
### Le format est Fluent (https://projectfluent.org/fluent/guide/). Chaque message ressemble à :
###
###     identifiant = Le texte que le bot envoie, avec { $variable } dedans.
###
### 1. Ne changez JAMAIS l'identifiant (à gauche du « = ») : c'est lui que le programme
###    demande. Un message ajouté ici doit aussi être ajouté dans le fichier anglais, et
###    inversement : le test refuse un message présent dans une seule langue.
### 2. Gardez les { $variables } telles quelles (accolades, dollar, même nom) : le programme
###    les remplace par le nom de l'objet, le numéro de l'annonce... Vous pouvez les déplacer
###    dans la phrase, ou en retirer une, mais pas en inventer.
### 3. Un texte sur plusieurs lignes : chaque ligne de suite commence par au moins une espace.
###    Une ligne de suite ne doit pas commencer par [ ou * ou . (ils ont un sens spécial) :
###    mettez un autre caractère devant. Une ligne vide au milieu du texte est conservée.
### 4. Les choix ({ $count -> ... }, { $direction -> ... }) : chaque variante entre
###    crochets est une version de la phrase ; celle marquée d'une * est celle par défaut et
###    doit rester. [one] = une seule (en français : 0 ou 1), [other] = plusieurs.
###    { $has_when -> [yes] ... *[no] { "" } } : la partie [yes] n'apparaît que s'il y a une
###    date ; { "" } veut dire « rien ».
### 5. Pour écrire une accolade { ou } dans le texte, mettez { "{" } ou { "}" }.
### 6. Les lignes qui commencent par # sont des commentaires : le bot ne les envoie pas.
### 7. Vérifiez avec `cargo test` (depuis le dossier du projet) : une faute est signalée avec
###    le nom du fichier et le numéro de la ligne. Le bot lit ce fichier à la compilation :
###    recompilez pour que vos changements partent en production.
###
### Ton : vouvoiement, phrases courtes, chaleureux. Les messages postés dans les groupes
### (annonce notée, relais) doivent tenir sur une ligne.

## Aide et accueil

# Réponse à /aide.
help =
    👋 Je suis le bot d'entraide du quartier : je note ce que les voisins prêtent, donnent ou cherchent, et je mets en relation ceux qui peuvent s'aider.

    Pour publier, écrivez simplement, comme à un voisin :
      « je prête ma perceuse samedi »
      « qqn aurait une échelle ? »

    Les commandes :
    /aide — ce message
    /annonces [catégorie] — les annonces en cours du quartier
    /chercher MOT — chercher parmi les annonces
    /mes-annonces — vos annonces en cours
    /fini N — clore votre annonce n°N (objet rendu, trouvé, donné…)
    /garder N — garder votre annonce n°N ouverte plus longtemps
    /emprunte N — emprunter ce que propose l'annonce n°N ; /prete N @Nom — le prêter
    /accepte, /refuse, /rendu, /prolonger, /merci — la suite d'un prêt ; /prets — vos prêts
    /courriel ADRESSE — recevoir les annonces par courriel (dans Matrix, commencez les commandes par !)
    /mairie MESSAGE — écrire à votre mairie, en privé (jamais dans le groupe)
    /langue fr|en — la langue dans laquelle je vous réponds (Language: /langue en)

# Quand un voisin rejoint le groupe d'un quartier ou ouvre la console. $area : nom du quartier.
welcome = Bienvenue chez les voisins de { $area } ! 👋 Ici on se prête, on se donne et on se rend service. Écrivez simplement ce que vous proposez ou cherchez, je m'occupe du reste. /aide pour en savoir plus.

## Trouver son quartier

ask-postcode = Pour vous relier à votre quartier, quel est votre code postal ? Vous pouvez aussi partager votre position.
# $code : le code postal envoyé.
postcode-unknown = Je ne connais pas encore de quartier pour le code postal { $code }. Vérifiez le numéro, ou partagez votre position.
# $areas : liste « Nom (identifiant), Nom (identifiant) ».
postcode-several = Le code postal { $code } couvre plusieurs quartiers : { $areas }. Lequel est le vôtre ? Répondez avec l'identifiant entre parenthèses, ou partagez votre position.
# $slug : l'identifiant de quartier envoyé.
area-unknown = Je ne trouve pas le quartier « { $slug } ». Vérifiez l'orthographe, ou envoyez votre code postal.


# En conversation privée avec le bot, après /start (sans quartier connu).
onboarding-welcome = Bonjour ! 👋 Je relie les voisins d'un même quartier pour se prêter, se donner et se rendre service. Pour trouver votre quartier, envoyez votre code postal (par exemple 35400), ou partagez votre position avec le bouton ci-dessous.
# Le bouton qui partage la position (Telegram).
share-location-button = 📍 Partager ma position
location-outside = Cette position n'est dans aucun de nos quartiers pour l'instant. Envoyez votre code postal pour vérifier.
# Les liens d'un quartier. $has_telegram / $has_matrix : yes s'il y a un lien, sinon no.
area-links =
    🏘️ Votre quartier : { $area }.
    { $has_telegram ->
        [yes] Groupe Telegram : { $telegram }
       *[no] Le groupe Telegram du quartier n'a pas encore de lien d'invitation.
    }
    { $has_matrix ->
        [yes] Salon Matrix : { $matrix }
       *[no] Pas encore de salon Matrix pour ce quartier.
    }
    Le résumé par courriel arrive bientôt.
    /annonces affiche les annonces en cours ; un autre code postal change de quartier.
# En privé, un message qui n'est ni une commande ni un code postal. $area : le quartier.
direct-hint = Pour publier une annonce, écrivez-la dans le groupe de { $area } : tous les voisins la verront. Ici, vous pouvez utiliser /annonces, /chercher, /mes-annonces, ou envoyer un autre code postal.

## Relier un groupe à un quartier

# Quand le bot est ajouté à un groupe. $example : un identifiant de quartier.
bot-joined = Bonjour ! Je suis le bot d'entraide entre voisins. Un administrateur du groupe peut le relier à son quartier avec /relier QUARTIER (par exemple /relier { $example }).
link-ok = ✅ Ce groupe est maintenant celui du quartier { $area }. Les messages des voisins qui utilisent un autre canal y seront relayés. Pour que je puisse donner un lien d'invitation aux nouveaux voisins, nommez-moi administrateur avec le droit d'inviter.
link-refused = Désolé, seul un administrateur du groupe peut le relier à un quartier ou l'en détacher.
# $areas : la liste des quartiers « identifiant (Nom) ».
link-usage = Indiquez le quartier, par exemple : /relier { $example }. Quartiers : { $areas }.
link-unknown-area = Je ne connais pas le quartier « { $slug } ». Quartiers : { $areas }.
link-in-group-only = Cette commande s'utilise dans le groupe à relier, par un de ses administrateurs.
unlink-ok = Ce groupe n'est plus relié au quartier { $area } : je n'y relaierai plus rien.
unlink-not-linked = Ce groupe n'est relié à aucun quartier.

## Matrix

# Le nom du salon Matrix d'un quartier (créé par le bot). $area : le nom du quartier.
matrix-room-name = Voisinage · { $area }
# Le sujet du salon : le quartier et les règles, en une ligne.
matrix-room-topic = Entraide entre voisins de { $area } : prêtez, donnez, demandez. Messages relayés avec les autres canaux du quartier. Soyez bienveillants ; pas de publicité. !aide pour les commandes.

## Courriel

# Les rythmes d'envoi, tels qu'ils s'affichent.
rhythm-each = à chaque message
rhythm-daily = une fois par jour
rhythm-weekly = une fois par semaine
email-usage = Pour recevoir les annonces du quartier par courriel : /courriel votre@adresse.fr (une fois par semaine), ou ajoutez le rythme : /courriel votre@adresse.fr quotidien, ou chaque (à chaque message).
# Le courriel de confirmation. $link : le lien à suivre.
email-confirm-subject = Confirmez votre inscription aux annonces de { $area }
email-confirm-link = Confirmer mon inscription
email-confirm-body =
    Bonjour,

    Quelqu'un (sans doute vous) a demandé à recevoir par courriel les annonces d'entraide entre voisins de { $area }, { $rhythm }.

    Pour confirmer, suivez ce lien : { $link }

    Si ce n'est pas vous, ignorez simplement ce message : vous ne recevrez rien.
email-confirm-sent = 📧 Un courriel de confirmation part vers { $address }. Suivez le lien qu'il contient pour recevoir les annonces de { $area }, { $rhythm }. Sans confirmation, rien ne sera envoyé.
email-confirm-already = 📧 Une confirmation a déjà été envoyée à { $address } aujourd'hui à { $time } : regardez aussi vos indésirables.
# Le sujet d'un message relayé par courriel.
email-relay-subject = { $name } — voisins de { $area }
# Le bas de chaque courriel d'annonces, suivi du lien de désinscription : en HTML, les mots
# de email-unsubscribe portent le lien ; en texte brut, email-unsubscribe-text puis l'adresse
# du lien sur sa propre ligne.
email-footer = Vous recevez ce courriel car vous êtes inscrit aux annonces de { $area }.
email-unsubscribe = Se désinscrire
email-unsubscribe-text = Pour vous désinscrire, ouvrez ce lien :

## Pages web (confirmation, désinscription)

web-confirm-title = Confirmer votre inscription
web-confirm-text = Recevoir à l'adresse { $address } les annonces de { $area }, { $rhythm } ?
web-confirm-button = Oui, je confirme
web-confirmed = C'est fait : { $address } recevra les annonces de { $area }, { $rhythm }. Chaque courriel contient un lien pour se désinscrire.
web-unsubscribe-title = Se désinscrire
web-unsubscribe-text = Ne plus recevoir les annonces à l'adresse { $address } ?
web-unsubscribe-button = Me désinscrire
web-unsubscribed = C'est fait : { $address } ne recevra plus les annonces de { $area }.
web-bad-link = Ce lien n'est pas (ou plus) valable. S'il s'agit d'une inscription, redemandez-la depuis votre groupe de quartier avec /courriel.
# La base de données n'a pas répondu pendant l'affichage d'une page (détails dans le journal).
web-try-again-title = Un instant
web-try-again = Le service est momentanément indisponible. Réessayez dans un instant.
# Par courriel, « inscription 35400 » alors que plusieurs quartiers ont ce code. $areas : leurs identifiants.
email-which-area = Ce code postal couvre plusieurs quartiers. Répondez « inscription » suivi de l'identifiant du vôtre : { $areas }.
# Sous un message relayé par courriel : comment répondre à son auteur. $address : l'adresse de réponse.
email-reply-line = Pour répondre à ce voisin, répondez simplement à ce courriel (ou écrivez à { $address }).
email-reply-button = ✉️ Répondre à ce voisin
# La réponse (une par jour au plus) à un courriel d'une adresse non inscrite.
email-not-subscribed =
    Bonjour,

    Votre message n'a pas été transmis : cette adresse n'est inscrite aux annonces d'aucun quartier.

    Pour vous inscrire, répondez à ce courriel par « inscription » suivi de votre code postal (par exemple : inscription 35800), ou écrivez « /courriel votre@adresse » au bot sur Telegram ou Matrix. Vous recevrez un lien de confirmation.

## Annonces

# Posté dans le groupe quand un message devient une annonce.
# $direction : offer ou request ; $item : l'objet ; $category : sa catégorie ; $number : n° de
# l'annonce ; $has_when : yes s'il y a des dates, sinon no ; $when : les dates (« 13 juin »).
post-recorded =
    { $direction ->
        [request]
            🔎 Demande n°{ $number } notée : { $item } ({ $category }){ $has_when ->
                [yes] { " · " }{ $when }
               *[no] { "" }
            }. Je préviens les voisins.
       *[offer]
            📌 Offre n°{ $number } notée : { $item } ({ $category }){ $has_when ->
                [yes] { " · " }{ $when }
               *[no] { "" }
            }. Merci !
    }

# Un message relayé d'un canal à l'autre. $channel : Telegram, Matrix, courriel...
relay-line = { $name } ({ $channel }) : { $text }

# À la personne qui cherche : un voisin propose ce qu'elle cherche. $number : n° de son annonce à lui.
match-for-requester = 🤝 Bonne nouvelle : { $name } ({ $channel }) propose ce que vous cherchez : { $item } (annonce n°{ $number }). Répondez-lui dans le groupe du quartier, ou citez son nom pour le prévenir. Si c'est un prêt : /emprunte { $offer } pour le demander.
# À la personne qui propose : un voisin cherche ce qu'elle propose. $number : n° de sa demande.
match-for-offerer = 🤝 { $name } ({ $channel }) cherche justement ce que vous proposez : { $item } (annonce n°{ $number }). Répondez-lui dans le groupe du quartier, ou citez son nom pour le prévenir. Si c'est un prêt : /prete { $offer } @{ $name } pour le lui proposer.

## /annonces

# $has_category : yes quand on a demandé une catégorie ($category), sinon no.
posts-header =
    📋 { $count ->
        [one] { $count } annonce en cours
       *[other] { $count } annonces en cours
    }{ $has_category ->
        [yes] { " " }({ $category })
       *[no] { " " }dans le quartier
    } :
# Une ligne de la liste. $author : qui l'a publiée ; $has_when / $when : comme pour post-recorded.
posts-line =
    n°{ $number } { $direction ->
        [request] 🔎 demande
       *[offer] 📌 offre
    } : { $item } ({ $category }){ $has_when ->
        [yes] { " · " }{ $when }
       *[no] { "" }
    } — { $author }
posts-none =
    { $has_category ->
        [yes] Aucune annonce en cours en « { $category } » pour l'instant.
       *[no] Aucune annonce en cours dans le quartier pour l'instant.
    } Lancez-vous : écrivez ce que vous prêtez ou cherchez !

## /chercher

search-header =
    🔍 { $count ->
        [one] { $count } annonce trouvée
       *[other] { $count } annonces trouvées
    } pour « { $query } » :
search-none = Rien trouvé pour « { $query } ». Essayez un autre mot, ou demandez aux voisins : « qqn aurait… ? »
search-usage = Indiquez ce que vous cherchez après la commande, par exemple : /chercher échelle

## /mes-annonces

my-posts-header =
    { $count ->
        [0] Vous n'avez aucune annonce en cours.
        [one] Votre annonce en cours (/fini N pour la clore) :
       *[other] Vos { $count } annonces en cours (/fini N pour en clore une) :
    }
my-posts-none = Vous n'avez aucune annonce en cours. Pour en publier une, écrivez simplement ce que vous prêtez ou cherchez.

## /fini

closed-ok = ✅ Annonce n°{ $number } ({ $item }) close. Merci pour votre coup de main au quartier !
closed-not-found = Je ne trouve pas d'annonce n°{ $number }. /mes-annonces affiche vos annonces et leurs numéros.
closed-not-yours = L'annonce n°{ $number } n'est pas la vôtre : seule la personne qui l'a publiée peut la clore.
closed-already = L'annonce n°{ $number } est déjà close.
closed-usage = Indiquez le numéro de l'annonce, par exemple : /fini 12 (/mes-annonces affiche vos numéros).
closed-reply-none = Je ne trouve pas d'annonce dans le message auquel vous répondez. /mes-annonces affiche vos annonces et leurs numéros.

## Langue

# Réponse à /langue fr. Écrite dans la nouvelle langue.
language-set = C'est noté : je vous répondrai en français.
# /langue sans langue.
language-usage = Je parle français (/langue fr) et anglais (/langue en).
# Une langue que le bot ne parle pas. $code : ce qui a été écrit.
language-unknown = Je ne connais pas la langue « { $code } ». Je parle français (/langue fr) et anglais (/langue en).

## Erreurs de commande

unknown-command = Je ne connais pas la commande { $command }. Envoyez /aide pour voir la liste.
# $categories : la liste des catégories possibles.
unknown-category = Je ne connais pas la catégorie « { $category } ». Catégories possibles : { $categories }.

## Partenaires

# Quand aucun voisin n'a proposé ce qu'une demande cherche, au bout d'un jour : une seule
# suggestion d'un service partenaire (outilthèque, repair café…), en réponse à la demande.
# $item : ce qui est cherché ; $partner : le nom du partenaire ; $description : ce qu'il fait ;
# $link : son lien ; $paid : yes si le partenaire rémunère ce lien (il faut alors le dire).
partner-suggestion = 🧭 Suggestion d'un partenaire : aucun voisin n'a encore proposé « { $item } ». { $partner } peut peut-être vous aider : { $description }. { $link }{ $paid ->
        [yes] { " " }(lien rémunéré)
       *[no] { "" }
    }
# L'objet du courriel qui porte cette suggestion.
partner-suggestion-subject = Une piste pour votre demande : { $item }
# La page d'un lien de partenaire inconnu ou abîmé.
web-partner-link-title = Lien introuvable
web-partner-link-bad = Ce lien de partenaire n'existe pas ou n'est plus valable. Vos voisins peuvent sûrement vous aider : demandez dans le groupe du quartier.

## Mots affichés

direction-offer = offre
direction-request = demande

channel-console = console
channel-telegram = Telegram
channel-matrix = Matrix
channel-email = courriel

category-bricolage = bricolage
category-jardinage = jardinage
category-cuisine = cuisine
category-maison = maison
category-mobilite = mobilité
category-enfants = enfants
category-loisirs = loisirs
category-high_tech = high-tech
category-vetements = vêtements
category-animaux = animaux
category-alimentation = alimentation
category-education = éducation
category-sante = santé
category-entraide = entraide
category-autre = autre

## Problème technique

error-internal = Oups, un souci technique de mon côté. Votre message est bien gardé : réessayez un peu plus tard.
# voisinage try, quand une ligne lue n'est pas de l'UTF-8. $line : son numéro.
try-line-not-utf8 = Ligne { $line } ignorée : ce n'est pas du texte UTF-8 (enregistrez le fichier en UTF-8). Je continue avec la suivante.

## Digests (the email's words; its layout is bot-scripts/email/digest.*.j2)

# Subject of a digest email. $period: day or week; $date: "28 novembre".
digest-subject = { $period ->
        [day] Voisinage { $area } : les nouvelles du { $date }
       *[week] Voisinage { $area } : la semaine jusqu'au { $date }
    }
# $dates: "du 21 au 28 novembre".
digest-intro = { $period ->
        [day] Bonjour ! Voici les nouvelles du quartier { $area } ({ $dates }).
       *[week] Bonjour ! Voici la semaine du quartier { $area } ({ $dates }).
    }
digest-offers-heading = Proposé par vos voisins
digest-requests-heading = Recherché par vos voisins
digest-unanswered-heading = Toujours sans réponse : pouvez-vous aider ?
digest-coming-heading = Dans les prochains jours
digest-reply-text = Pour répondre : écrivez à { $address }
digest-more = Et { $count ->
        [one] une autre annonce
       *[other] { $count } autres annonces
    } : envoyez /annonces dans le groupe du quartier pour tout voir.
digest-figures = En chiffres : { $members ->
        [0] aucun nouveau voisin
        [one] un nouveau voisin
       *[other] { $members } nouveaux voisins
    }, { $offers ->
        [0] aucune offre
        [one] 1 offre
       *[other] { $offers } offres
    }, { $requests ->
        [0] aucune demande
        [one] 1 demande
       *[other] { $requests } demandes
    }, { $matches ->
        [0] aucune mise en relation
        [one] 1 mise en relation
       *[other] { $matches } mises en relation
    }{ $loans ->
        [0] { "" }
        [one] , 1 prêt commencé
       *[other] , { $loans } prêts commencés
    }{ $returned ->
        [0] { "" }
        [one] , 1 prêt rendu
       *[other] , { $returned } prêts rendus
    }.
digest-partner-heading = Un partenaire peut aider
digest-partner-line = Pour « { $item } », en attendant un voisin : { $name } — { $description }.
digest-partner-paid = lien partenaire rémunéré
# Counts use Fluent's plural forms, never "(s)": in French the "one" form also covers 0, so
# [0] comes first ("aucune offre"). The same in digest-room-summary.
# A category heading or a date before what it introduces (French puts a space before ":").
digest-label = { $label } :
# The one message posted in each room. $items: a few new items; $command: /annonces or !annonces.
digest-room-summary = 📰 { $period ->
        [day] Aujourd'hui
       *[week] Cette semaine
    } à { $area } : { $offers ->
        [0] aucune offre
        [one] 1 offre
       *[other] { $offers } offres
    }, { $requests ->
        [0] aucune demande
        [one] 1 demande
       *[other] { $requests } demandes
    }, { $matches ->
        [0] aucune mise en relation
        [one] 1 mise en relation
       *[other] { $matches } mises en relation
    }. Nouveau : { $items }. Pour tout voir : { $command }

## Expiry of posts

post-expiry-reminder = ⏳ Votre annonce n°{ $number } ({ $item }) sera retirée le { $date }. Toujours d'actualité ? Répondez /garder à ce message pour la garder { $days } jours de plus, ou /fini si c'est réglé.
post-expired = 📦 Votre annonce n°{ $number } ({ $item }) a été retirée après { $days } jours. Publiez-la à nouveau si besoin.
kept-ok = ✅ Annonce n°{ $number } ({ $item }) gardée jusqu'au { $date }.
keep-usage = Pour garder une annonce, répondez /garder au rappel, ou envoyez /garder suivi de son numéro.
email-notice-subject = Votre annonce sur Voisinage

## Avis d'échec (issue 14) : une copie du message d'un voisin n'a pas pu partir, pour de bon

# À l'auteur, en réponse à son message. $excerpt : le début du message ; $to : room-telegram,
# room-matrix, room-email (le salon d'un quartier), person (un abonné par courriel, $name : son
# nom) ou someone (sans nom) ; $name : le nom du salon ou de l'abonné ; $cause : gone (le bot n'y
# a plus accès), refused (refusé) ou exhausted (échecs répétés) ; $room : yes pour un salon.
failure-notice = ⚠️ Votre message « { $excerpt } » n'a pas pu être transmis ({ $to ->
        [room-telegram] groupe Telegram « { $name } »
        [room-matrix] salon Matrix « { $name } »
        [room-email] liste de courriel « { $name } »
        [person] courriel de { $name }
       *[someone] un abonné par courriel
    } : { $cause ->
        [gone] { $room ->
            [yes] le bot n'y a plus accès
           *[no] adresse refusée
        }
        [refused] { $room ->
            [yes] message refusé
           *[no] adresse refusée
        }
       *[exhausted] toujours en échec après plusieurs essais
    }).
failure-notice-subject = Votre message n'a pas pu être transmis partout

## /courriel dans un groupe (issue 14, défaut 9) : la réponse, lue par tous, ne répète pas l'adresse

# Comme email-confirm-sent / email-confirm-already, dit dans un groupe ou un salon ($address n'y
# figure pas exprès).
email-confirm-sent-public = 📧 C'est noté : un courriel de confirmation part vers l'adresse indiquée. Suivez le lien qu'il contient pour recevoir les annonces de { $area }, { $rhythm }. Pour ne pas montrer votre adresse à tout le groupe, écrivez plutôt /courriel au bot en message privé.
email-confirm-already-public = 📧 Une confirmation a déjà été envoyée à cette adresse aujourd'hui à { $time } : regardez aussi vos indésirables. Pour ne pas montrer votre adresse à tout le groupe, écrivez plutôt au bot en message privé.
email-answered-privately = 📧 Je vous ai répondu en message privé, pour que votre adresse ne reste pas sous les yeux de tout le groupe.
private-chat-link = Message privé au bot : { $link }
## Questions quand le bot n'est pas sûr, et corrections (issue 13)

# Une lecture : « une offre de perceuse ». $direction : offer ou request.
reading =
    { $direction ->
        [request] une demande de { $item }
       *[offer] une offre de { $item }
    }
# La question posée à l'auteur d'un message que le bot n'a pas su lire avec certitude.
# $readings : une ou plusieurs lectures (« une offre de perceuse et une demande d'échelle ») ;
# $yes, $no, $correct : comment répondre sur ce canal (/oui, !oui, ou « oui » par courriel).
question-unsure =
    🤔 { $name }, ai-je bien compris : { $readings } ?
    Tant que vous n'avez pas répondu, je ne l'annonce pas et je ne cherche personne.
    Répondez { $yes } si c'est bien ça, { $no } si ce n'est pas une annonce, ou { $correct } suivi de ce que c'est, par exemple « { $correct } demande échelle » ou « { $correct } offre don vélo ».
# Les boutons sous la question (Telegram).
question-button-yes = Oui, c'est { $reading }
question-button-no = Non
question-button-correct = Corriger
# Ce que devient la question une fois répondue.
question-answered-yes = ✅ Merci { $name }, c'est noté.
question-answered-no = 👌 Compris, ce n'est pas une annonce : je n'en fais rien.
question-expired = ⌛ Sans réponse de votre part, je n'ai rien annoncé.
# Réponses à /oui, /non.
answer-yes = ✅ Merci, c'est noté et annoncé au quartier.
answer-no = 👌 Compris : ce message n'est pas une annonce, je n'en fais rien.
answer-nothing-asked = Je n'ai pas de question en attente pour vous. Pour corriger une annonce, répondez à mon message « notée » par { $correct } suivi de ce que c'est.
answer-not-yours = Seule la personne qui a écrit ce message (ou un modérateur du quartier) peut répondre ou le corriger.
# Le bouton « Corriger » : comment faire.
correct-how = Répondez à ma question par { $correct } suivi de ce que c'est, par exemple « { $correct } demande échelle ».
# Corrections. $readings comme plus haut.
corrected = ✏️ Corrigé : { $readings }.
corrected-none = ✏️ Corrigé : ce n'est pas une annonce. Je l'ai retirée.
corrected-notice = ✏️ Corrigé par son auteur : { $readings }.
corrected-notice-none = ✏️ Retiré par son auteur : ce n'était pas une annonce.
correct-usage = Dites ce que c'est : { $correct } suivi de « offre » ou « demande », éventuellement « prêt », « don », « échange » ou « vente », puis la chose. Par exemple « { $correct } demande échelle », « { $correct } offre prêt perceuse », ou « { $correct } pas une annonce ».
correct-nothing = Je ne trouve pas de message à corriger. Répondez à mon message « notée » (ou à ma question) par { $correct } suivi de ce que c'est.
# À l'autre personne d'une mise en relation qui ne tient plus. $item : sa propre annonce.
match-void = ↩️ { $name } a corrigé son annonce : elle ne correspond plus à la vôtre ({ $item }). Votre annonce reste ouverte.
## Modération et données personnelles (issue 14)
moderation-reply-needed = Répondez au message concerné (ou à l'une de ses copies) avec cette commande.
moderation-not-found = Je ne trouve pas ce message dans un quartier que je connais.
moderation-refused = Désolé, seuls les modérateurs du quartier (les administrateurs de ses groupes et salons, et les personnes désignées) peuvent utiliser cette commande.
moderation-already-removed = Ce message est déjà supprimé.
# $copies : le message d'origine et ses copies supprimées.
moderation-removed = 🗑 Message de { $name } supprimé ({ $copies ->
        [0] aucune copie à retirer
        [one] { $copies } exemplaire retiré
       *[other] { $copies } exemplaires retirés
    }) et ses annonces closes. Les courriels déjà partis ne peuvent pas être repris : il n'apparaîtra plus dans les résumés.
moderation-ban-moderator = Impossible de bannir { $name } : c'est un modérateur du quartier (ou vous-même).
moderation-already-banned = { $name } est déjà banni(e) de ce quartier.
moderation-banned = 🚫 { $name } est banni(e) du quartier : je ne lis ni ne relaie plus ses messages, sur aucun de ses comptes. /debannir en réponse à un de ses messages pour revenir en arrière.
moderation-not-banned = { $name } n'est pas banni(e) de ce quartier.
moderation-unbanned = ✅ { $name } n'est plus banni(e) : ses messages sont de nouveau lus et relayés.
moderation-log-empty = Le journal de modération du quartier est vide.
moderation-log-header = 📒 Journal de modération ({ $count ->
        [one] la dernière action
       *[other] les { $count } dernières actions
    }) :
# $action : delete, ban, unban ou report.
moderation-log-line = { $when } — { $action ->
        [delete] { $actor } a supprimé le message n°{ $message } de { $subject } ({ $copies } exemplaires)
        [ban] { $actor } a banni { $subject }
        [unban] { $actor } a levé le bannissement de { $subject }
       *[report] { $actor } a signalé le message n°{ $message } de { $subject }
    }
report-reply-needed = Pour signaler un message, répondez-lui avec /signaler. Seuls les modérateurs en seront informés.
report-thanks = Merci, votre signalement a été transmis en privé aux modérateurs du quartier. Personne d'autre n'en est informé.
report-subject = Signalement dans votre quartier
# $channel : la messagerie du signalement.
report-notice = ⚠️ Signalement ({ $area }) par { $reporter } ({ $channel }) : message de { $name } :
    « { $text } »
    Répondez à ce message avec /supprimer pour le retirer partout, ou /bannir pour ne plus lire son auteur.
my-data-subject = Vos données sur Voisinage
my-data-intro = Voici tout ce que je garde sur vous (vos comptes, messages, annonces, abonnements, messages reçus et décisions de modération vous concernant), au format JSON. /oublier efface tout.
my-data-sent-privately = Je vous ai envoyé vos données en privé. Si rien n'arrive, écrivez-moi d'abord en privé, puis redemandez /mes-donnees.
my-data-no-private = Je ne peux pas vous écrire en privé ici. Ouvrez une conversation privée avec moi et envoyez-y { $command } : vos données y arriveront.
forget-ask = ⚠️ Voulez-vous vraiment que je vous oublie ? J'effacerai vos messages (et leurs copies là où c'est possible), vos annonces, vos abonnements et vos comptes. C'est définitif. Pour confirmer, envoyez { $command } dans les { $minutes } minutes.
forget-done = C'est fait : vos messages, annonces, abonnements et comptes sont effacés. Au revoir, et merci d'avoir aidé vos voisins !
## Authenticated email (issue 14): mail under a subscriber's address that could not be
## verified is held; its owner confirms it. Relayed emails come "via" the bot.
email-from-via = { $name } via { $bot }
email-held-subject = Avez-vous écrit ce message à vos voisins ?
email-held-link = Voir le message et le publier
email-held-body =
    Bonjour,

    { $every ->
        [yes] Un courriel à votre nom ({ $address }) est arrivé pour les voisins de { $area }. Ici, chaque courriel doit être confirmé par son auteur avant d'être transmis.
       *[no] Un courriel à votre nom ({ $address }) est arrivé pour les voisins de { $area }, mais votre messagerie ne nous permet pas de vérifier qu'il vient bien de vous. Il n'a été transmis à personne.
    }

    Sujet : « { $subject } »

    Si c'est bien vous, ouvrez ce lien pour le voir et le publier : { $link }

    Sinon, ne faites rien : il sera effacé dans 7 jours et rien ne sera publié en votre nom.
web-held-title = Avez-vous écrit ce message ?
web-held-intro = Ce courriel est arrivé à votre nom ({ $address }). Il n'a encore été transmis à personne.
web-held-subject = Sujet : { $subject }
web-held-button = Oui, c'est moi : publier
web-held-not-me = Ce n'est pas vous ? Fermez simplement cette page : rien ne sera publié, et le message sera effacé dans 7 jours.
web-held-others = Autres messages en attente à votre nom :
web-held-posted = C'est publié : vos voisins de { $area } vont recevoir votre message.
web-held-already = Ce message a déjà été publié.
web-held-not-subscribed = Cette adresse ne suit plus aucun quartier : le message n'a pas été publié. Réinscrivez-vous depuis votre groupe de quartier avec /courriel.

## Prêts (issue 16) : « /emprunte 12 », « /prete 12 @Jeanne », /accepte, /rendu, /prets
## Arguments communs : $loan (n° du prêt), $offer (n° de l'annonce), $item, $lender, $borrower,
## $date (date de retour, « 20 juin »).

email-loan-subject = Votre prêt sur Voisinage
loan-borrow-usage = Indiquez le numéro de l'annonce, par exemple : /emprunte 12 (ou /emprunte 12 7 pour 7 jours).
loan-lend-usage = Indiquez le numéro de votre annonce et la personne, par exemple : /prete 12 @Jeanne (ou /prete 12 @Jeanne 7 pour 7 jours).
loan-offer-not-found = Je ne trouve pas d'offre n°{ $offer } en cours dans le quartier. /annonces affiche les offres et leurs numéros.
loan-own-offer = L'annonce n°{ $offer } est la vôtre : pour la prêter, utilisez /prete { $offer } @Nom.
loan-not-your-offer = L'annonce n°{ $offer } n'est pas la vôtre : pour l'emprunter, utilisez /emprunte { $offer }.
loan-already-yours = Le prêt n°{ $loan } ({ $item }) est déjà à votre nom, jusqu'au { $date }.
# $place : rang dans la liste d'attente (1 = le prochain).
loan-waiting = { $item } (annonce n°{ $offer }) est déjà promis à un voisin. Vous êtes n°{ $place } sur la liste d'attente : je vous préviens dès que c'est libre.
loan-waiting-lent = { $item } (annonce n°{ $offer }) est prêté jusqu'au { $date }. Vous êtes n°{ $place } sur la liste d'attente : je vous préviens dès que c'est rendu.
loan-offer-busy = { $item } (annonce n°{ $offer }) fait déjà l'objet du prêt n°{ $loan } à { $borrower }, jusqu'au { $date }.
loan-offer-taken = L'annonce n°{ $offer } vient d'être proposée à quelqu'un d'autre. Réessayez avec /emprunte { $offer } pour rejoindre la liste d'attente.
# $count : nombre de demandes reliées à l'offre ; $names : « @Jeanne, @Marc ».
loan-lend-who = { $count ->
        [0] Personne n'a encore demandé ce que propose l'annonce n°{ $offer }. Quand un voisin le cherchera, répondez /prete { $offer } @Nom.
       *[other] À qui prêtez-vous ? Précisez le nom : /prete { $offer } @Nom ({ $names }).
    }
loan-proposed-to-lender = 📦 { $borrower } voudrait emprunter votre { $item } (annonce n°{ $offer }) jusqu'au { $date }. Répondez /accepte { $loan } pour confirmer, ou /refuse { $loan }.
loan-proposed-to-borrower = 📦 { $lender } vous propose de vous prêter { $item } (annonce n°{ $offer }) jusqu'au { $date }. Répondez /accepte { $loan } pour confirmer, ou /refuse { $loan }.
# $other : la personne qui doit confirmer.
loan-proposal-sent = Proposition de prêt n°{ $loan } ({ $item }, jusqu'au { $date }) envoyée à { $other }. Rien n'est prêté tant que { $other } n'a pas confirmé ; /annule { $loan } pour la retirer.
# $loans : « n°3 (perceuse), n°5 (échelle) ».
loan-which = Lequel ? Précisez le numéro du prêt : { $loans }. /prets affiche vos prêts.
loan-none = Je ne trouve pas ce prêt parmi les vôtres. /prets affiche vos prêts et leurs numéros.
loan-active = ✅ Prêt n°{ $loan } confirmé : { $item } prêté par { $lender } à { $borrower } jusqu'au { $date }. Quand c'est rendu : /rendu { $loan }.
loan-declined = ❌ La proposition de prêt n°{ $loan } ({ $item }) a été refusée.
loan-declined-ok = C'est noté : prêt n°{ $loan } ({ $item }) refusé.
loan-cancelled = La proposition de prêt n°{ $loan } ({ $item }) a été retirée.
loan-cancelled-ok = C'est noté : proposition de prêt n°{ $loan } ({ $item }) retirée.
loan-return-claimed = { $borrower } dit vous avoir rendu { $item } (prêt n°{ $loan }). C'est bien le cas ? Répondez /rendu { $loan } pour clore le prêt.
loan-return-claimed-ok = Merci ! J'ai demandé à { $lender } de confirmer le retour de { $item } (prêt n°{ $loan }).
loan-returned-borrower = ✅ { $lender } confirme le retour de { $item } : le prêt n°{ $loan } est clos. Envie de dire merci ? Répondez /merci { $loan }.
loan-returned-lender = ✅ Prêt n°{ $loan } clos : { $item } est de nouveau disponible. Merci pour votre coup de main au quartier !
loan-free-waiter = 🔔 { $item } de { $lender } (annonce n°{ $offer }) est de nouveau disponible, et vous êtes le prochain sur la liste : /emprunte { $offer } pour le demander.
# $waiter : la personne suivante sur la liste d'attente.
loan-free-lender = 🔔 { $waiter } attendait votre { $item } (annonce n°{ $offer }) : je l'ai prévenu. Pour le lui prêter : /prete { $offer } @{ $waiter }.
# $days : nombre de jours demandés.
loan-extension-asked = ⏳ { $borrower } voudrait garder { $item } { $days ->
        [one] un jour
       *[other] { $days } jours
    } de plus (prêt n°{ $loan }, retour prévu le { $date }). Répondez /prolonger { $loan } pour accepter.
loan-extension-asked-ok = J'ai demandé à { $lender } { $days ->
        [one] un jour
       *[other] { $days } jours
    } de plus pour { $item } (prêt n°{ $loan }).
loan-extended = ⏳ Prêt n°{ $loan } prolongé : { $item } est prêté à { $borrower } jusqu'au { $date }.
loan-thanks-already = Vous avez déjà remercié { $lender } pour ce prêt. 🙂
# $count : nombre total de remerciements reçus par la personne qui prête (jamais une note).
loan-thanked = 🙏 { $borrower } vous remercie pour { $item } ! { $count ->
        [one] C'est votre premier merci.
       *[other] Vous avez reçu { $count } mercis.
    }
loan-thanks-ok = 🙏 Merci transmis à { $lender }.
loans-none = Vous n'avez aucun prêt. Pour emprunter : /emprunte N (N : numéro de l'annonce).
# $thanks : remerciements reçus.
loans-header = { $count ->
        [one] Votre prêt
       *[other] Vos { $count } derniers prêts
    }{ $thanks ->
        [0] { "" }
        [one] { " " }(🙏 1 merci reçu)
       *[other] { " " }(🙏 { $thanks } mercis reçus)
    } :
# $role : lender (vous prêtez) ou borrower (vous empruntez) ; $state : l'état du prêt.
loans-line = n°{ $loan } { $item } — { $role ->
        [lender] prêté à { $borrower }
       *[borrower] emprunté à { $lender }
    } · { $state ->
        [proposed] proposé, à confirmer
        [active] jusqu'au { $date }
        [overdue] en retard depuis le { $date }
        [returned] rendu
        [cancelled] annulé
       *[declined] refusé
    }
loan-button-accept = ✅ Accepter
loan-button-decline = Refuser
# Ajouté à une ligne de /annonces quand la chose est prêtée.
posts-line-lent = { " " }· prêté jusqu'au { $date }
posts-line-photo = { "   " }📷 photo : { $url }
loan-reminder-before = ⏳ Petit rappel : { $item } emprunté à { $lender } est à rendre le { $date } (prêt n°{ $loan }). Besoin de plus de temps ? /prolonger { $loan }.
loan-reminder-due = ⏳ C'est aujourd'hui : { $item } emprunté à { $lender } est à rendre (prêt n°{ $loan }). Une fois rendu : /rendu { $loan }. Besoin de plus de temps ? /prolonger { $loan }.
# $late : jours de retard.
loan-reminder-overdue = ⏰ { $item } emprunté à { $lender } devait être rendu le { $date } ({ $late ->
        [one] un jour de retard
       *[other] { $late } jours de retard
    }). Pensez à le rendre, ou demandez un délai : /prolonger { $loan }.
loan-overdue-lender = ⏰ { $item } prêté à { $borrower } devait vous être rendu le { $date } (prêt n°{ $loan }). Je le lui ai rappelé. Pour lui laisser plus de temps : /prolonger { $loan } ; une fois rendu : /rendu { $loan }.
loan-email-links = Pour confirmer : { $accept }
    Pour refuser : { $decline }
loan-link-accept = Confirmer le prêt n°{ $loan } : { $item } prêté par { $lender } à { $borrower } jusqu'au { $date } ?
loan-link-decline = Refuser le prêt n°{ $loan } : { $item } de { $lender } à { $borrower } ?
web-loan-title = Prêt entre voisins
loan-email-returned-link = Pour confirmer le retour : { $link }
loan-link-returned = Confirmer que { $item } prêté à { $borrower } vous a été rendu (prêt n°{ $loan }) ?
loan-button-returned = ✅ C'est rendu

## Photos et fichiers (issue 15)
# Dans les copies, à la place d'une photo qui n'a pas été prise ; $reason : un des media-reason-*.
media-refused-copy = 📷 photo non transmise ({ $reason })
media-reason-too-large = trop lourde
media-reason-type = format non pris en charge
media-reason-quota = limite du jour atteinte
media-reason-unavailable = introuvable
# À l'auteur, en réponse à son message. $max_mb : taille maximale en Mo ; $max : photos par jour.
media-refused-too-large = 📷 Votre photo n'a pas été transmise aux autres salons : elle dépasse { $max_mb } Mo. Envoyez-la en plus petit (comme « photo » plutôt que comme « fichier »).
media-refused-type = 📎 Ce fichier n'a pas été transmis aux autres salons : ce format n'est pas accepté (formats acceptés : { $types }).
# Un document ou une vidéo refusés (les copies, puis l'auteur).
media-refused-file-copy = 📎 fichier non transmis ({ $reason })
media-reason-file-too-large = trop lourd
media-reason-file-type = format non pris en charge
media-reason-file-quota = limite du jour atteinte
media-reason-file-unavailable = introuvable
media-refused-file-too-large = 📎 Votre fichier n'a pas été transmis aux autres salons : il dépasse { $max_mb } Mo.
media-refused-file-quota = 📎 Votre fichier n'a pas été transmis aux autres salons : vous avez atteint la limite de { $max } fichiers par jour.
media-refused-file-unavailable = 📎 Votre fichier n'a pas pu être récupéré ; votre texte a été transmis sans lui.
media-refused-quota = 📷 Votre photo n'a pas été transmise aux autres salons : vous avez atteint la limite de { $max } photos par jour.
media-refused-unavailable = 📷 Votre photo n'a pas pu être récupérée ; votre texte a été transmis sans elle.
# Dans les résumés : le texte alternatif de la vignette, et le lien vers la photo (texte brut).
digest-photo = photo
digest-photo-text = 📷 Photo : { $link }
digest-file = 📎 le fichier joint
digest-file-text = 📎 Fichier : { $link }

## Prêts, second temps (issue 16) : « jusqu'à quand ? » et prêts depuis un avis de correspondance
# À qui propose, quand rien ne dit jusqu'à quand ; répondre à ce message donne la date.
loan-due-question = Jusqu'à quand ? Répondez à ce message par une date (« dimanche », « le 12 ») ou une durée (« 3 jours ») ; sans réponse, ce sera jusqu'au { $date } ({ $days } jours).
loan-due-set = 📅 Prêt n°{ $loan } : { $item } prêté par { $lender } à { $borrower } jusqu'au { $date }.
loan-due-unread = Je n'ai pas compris la date. Répondez par exemple « dimanche », « le 12 » ou « 3 jours ».
loan-due-closed = La date du prêt n°{ $loan } est déjà fixée (jusqu'au { $date }). Pour plus de temps : /prolonger { $loan }.
# Boutons et liens d'un avis de correspondance.
loan-button-borrow = 📦 Emprunter
loan-button-lend = 📦 Prêter à { $name }
loan-button-not-yours = Ce bouton est pour la personne à qui le message s'adresse.
loan-email-borrow-link = Pour demander à l'emprunter : { $link }
loan-email-lend-link = Pour proposer de le prêter : { $link }
loan-link-borrow = Demander à { $lender } de vous prêter { $item } (annonce n°{ $offer }) ?
loan-link-lend = Proposer à { $borrower } de lui prêter { $item } (annonce n°{ $offer }) ?
loan-link-lend-button = 📦 Proposer le prêt

## La ligne privée vers la mairie (issue 18) : /mairie TEXTE, en conversation privée ou par courriel
town-hall-usage = Pour écrire à votre mairie : /mairie suivi de votre message, ici en privé (par exemple « /mairie Le lampadaire de la rue des Lilas est en panne »). Votre message va par courriel au service de la mairie, jamais dans le groupe.
town-hall-private-only = Pour écrire à la mairie, envoyez /mairie en message privé au bot : ici, tout le groupe lirait votre message.
# $commune : la commune du quartier.
town-hall-closed = La mairie de { $commune } n'a pas encore ouvert de ligne privée avec Voisinage. Vous pouvez la contacter directement.
town-hall-no-area = Je ne sais pas encore de quel quartier vous êtes : envoyez votre code postal, puis écrivez de nouveau /mairie.
town-hall-sent = 📨 Message transmis à la mairie de { $commune }. Sa réponse vous arrivera ici.
# Le courriel au contact de la mairie. $name : l'habitant ; $channel : d'où il écrit ; $area : son quartier.
town-hall-mail-subject = Message d'un habitant de { $area } (Voisinage)
town-hall-mail = { $name } ({ $channel }), habitant du quartier { $area }, vous écrit par Voisinage :

    { $text }

    Répondez simplement à ce courriel : votre réponse lui parviendra dans sa conversation privée avec Voisinage. Ce message n'a été publié dans aucun groupe.
# La réponse de la mairie, dans la conversation privée de l'habitant.
town-hall-answer = 📢 Mairie de { $commune } (réponse) : { $text }

## Espace mairie (issue 18) : la connexion des agents.
muni-signin-subject = Votre lien de connexion à l'espace mairie
muni-signin-body =
    Bonjour,

    Pour vous connecter à l'espace mairie de Voisinage, suivez ce lien puis appuyez sur « Me connecter » : { $link }

    Ce lien est valable 15 minutes et ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce courriel : personne ne peut se connecter sans ce lien.

## Sondages de la mairie (issue 18)
# La question telle que les salons la montrent.
poll-question = 📢 Mairie de { $commune } : { $question }
# Pour les applications sans sondages : suivie des réponses numérotées.
poll-fallback-how = Répondez avec le sondage de votre application, jusqu'au { $closes }. Une voix par personne, sur tous les salons ; la dernière compte.
poll-mail-subject = 📢 Mairie de { $commune } : un sondage
poll-mail-intro = La mairie de { $commune } vous pose une question (réponses jusqu'au { $closes }) :
poll-mail-choose = Choisissez votre réponse (une page vous demandera de confirmer) :
poll-results = 📢 Mairie de { $commune } : résultats du sondage « { $question } » ({ $voters } votants)
poll-results-link = Détail par quartier : { $link }
poll-vote-title = Sondage de la mairie de { $commune }
poll-vote-your-choice = Votre réponse :
poll-vote-multiple = Vous pouvez cocher plusieurs réponses.
poll-vote-button = Voter
poll-vote-done = Merci, votre vote est enregistré : { $choices }. Vous pouvez changer d'avis jusqu'au { $closes } ; seul votre dernier vote compte.
poll-vote-closed = Ce sondage est clos : les votes ne sont plus reçus. Les résultats : { $link }
poll-vote-invalid = Ce lien de vote n'est pas valable (il a pu être coupé) ou votre abonnement a pris fin.
poll-vote-none = Cochez au moins une réponse.

## Municipal announcements (issue 18): relayed in the rooms, mailed, listed in digests.
announcement-heading = 📢 Mairie de { $commune } : { $title }
announcement-date = 📅 { $date }
announcement-place = 📍 { $place }
announcement-link = Toutes les annonces de la mairie : { $link }
announcement-mail-subject = 📢 Mairie de { $commune } : { $title }
announcement-mail-urgent = Message urgent de la mairie de { $commune }, envoyé à tous les abonnés du quartier :
digest-announcements-heading = Annonces de la mairie

## Salons chiffrés Matrix (issue 17)
# À l'auteur d'un message chiffré que le bot n'a toujours pas pu lire (la clé ne lui est pas
# parvenue), une seule fois, dans le salon où il l'a écrit. $name : son nom.
matrix-undecryptable = 🔒 { $name }, je n'ai pas pu lire votre message chiffré (sa clé ne m'est pas parvenue) : il n'a pas été transmis. Pouvez-vous l'envoyer à nouveau ?
