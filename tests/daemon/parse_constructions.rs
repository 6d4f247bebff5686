//! One test per construction of issue #2, in French (and English), with the expected posts.
//! Sentences are our own, not the corpus's: they check that the grammar generalises.
//!
//! Expected posts are written `direction/kind/mode/item/category/from..to`, with `-` for a
//! missing mode or date.

use crate::helpers::parse_at;

/// A Wednesday evening in June 2026 (Europe/Paris).
const WED: &str = "2026-06-10T18:30:00+02:00";

fn show(text: &str, when: &str) -> Vec<String> {
    parse_at(text, when)
        .into_iter()
        .map(|p| {
            format!(
                "{}/{}/{}/{}/{}/{}",
                p.direction,
                format!("{:?}", p.kind).to_lowercase(),
                p.mode.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
                p.item,
                p.category,
                p.when
                    .map(|w| format!("{}..{}", w.from, w.to))
                    .unwrap_or_else(|| "-".into())
            )
        })
        .collect()
}

#[track_caller]
fn check(text: &str, expected: &[&str]) {
    check_at(text, WED, expected)
}

#[track_caller]
fn check_at(text: &str, when: &str, expected: &[&str]) {
    let got = show(text, when);
    assert_eq!(got, expected, "\n  text: {text}\n  sent: {when}");
}

#[test]
fn offers_in_their_many_forms() {
    check(
        "À donner : une poussette, à venir chercher",
        &["offer/item/gift/poussette/enfants/-"],
    );
    check(
        "Perceuse dispo si besoin, demandez-moi",
        &["offer/item/-/perceuse/bricolage/-"],
    );
    check("Vends table de jardin 40€", &["offer/item/sale/table/maison/-"]);
    check(
        "Troc : mes rollers contre une trottinette",
        &["offer/item/swap/roller/loisirs/-"],
    );
    check(
        "Je peux vous filer mon escabeau ce week-end",
        &["offer/item/-/escabeau/bricolage/2026-06-13..2026-06-14"],
    );
    check(
        "Si ça dépanne qqn j'ai une échelle",
        &["offer/item/-/échelle/bricolage/-"],
    );
    check(
        "Je mets à disposition ma remorque, à me rapporter le soir",
        &["offer/item/loan/remorque/mobilite/-"],
    );
    check(
        "J'ai une crêpière qui ne sert plus, si ça intéresse quelqu'un",
        &["offer/item/-/crêpière/cuisine/-"],
    );
    check("je prête ma tondeuse", &["offer/item/loan/tondeuse/jardinage/-"]);
}

#[test]
fn requests_in_their_many_forms() {
    check(
        "Qui pourrait me prêter une ponceuse samedi ?",
        &["request/item/loan/ponceuse/bricolage/2026-06-13..2026-06-13"],
    );
    check(
        "Est-ce que qqn a une visseuse ?",
        &["request/item/-/visseuse/bricolage/-"],
    );
    check(
        "Help ! Besoin d'un cric pour changer une roue",
        &["request/item/-/cric/mobilite/-"],
    );
    check(
        "Avis aux bricoleurs : quelqu'un aurait une scie sauteuse ?",
        &["request/item/-/scie sauteuse/bricolage/-"],
    );
    check(
        "Je suis à la recherche d'un lit parapluie pour cet été",
        &["request/item/-/lit parapluie/enfants/-"],
    );
    check(
        "Je cherche à acheter un vélo d'occasion",
        &["request/item/sale/vélo/mobilite/-"],
    );
    check(
        "Quelqu'un pourrait-il garder mes deux chats du 1er au 8 juillet ?",
        &["request/service/-/garde de chat/animaux/2026-07-01..2026-07-08"],
    );
}

#[test]
fn an_offer_after_no_longer_needing_it() {
    check(
        "Je n'ai plus besoin de mon lit bébé, je le donne à qui veut",
        &["offer/item/gift/lit bébé/enfants/-"],
    );
    check("Plus besoin de la remorque, merci", &[]);
}

#[test]
fn english_messages() {
    check(
        "Anyone got a lawn mower I could borrow tomorrow?",
        &["request/item/loan/tondeuse/jardinage/2026-06-11..2026-06-11"],
    );
    check(
        "Giving away a high chair, free to whoever needs it",
        &["offer/item/gift/chaise haute/enfants/-"],
    );
    check("Selling my drill for 30€", &["offer/item/sale/perceuse/bricolage/-"]);
}

#[test]
fn several_posts_in_one_message() {
    check(
        "Je donne un lit bébé et je cherche une poussette",
        &[
            "offer/item/gift/lit bébé/enfants/-",
            "request/item/-/poussette/enfants/-",
        ],
    );
    check(
        "Je prête mon taille-haie, une brouette et un sécateur",
        &[
            "offer/item/loan/taille-haie/jardinage/-",
            "offer/item/loan/brouette/jardinage/-",
            "offer/item/loan/sécateur/jardinage/-",
        ],
    );
}

#[test]
fn no_post_for_chatter() {
    for text in [
        "je ne prête plus ma perceuse, désolé",
        "Plus besoin de la remorque, merci à tous",
        "Merci Paul pour l'escabeau !",
        "La ponceuse est rendue, merci Julie",
        "Quelqu'un sait si la boulangerie est ouverte dimanche ?",
        "> je prête ma perceuse\nmerci pour l'info",
        "La mairie organise un vide-grenier dimanche, venez nombreux !",
        "Promo -20% chez Garage Dupont ! Devis gratuit, appelez le 02 99 00 00 00",
        "Attention, une voiture a été fracturée rue des Lilas cette nuit",
        "Bonne fête des mères à toutes les mamans du quartier 💐",
        "La perceuse a trouvé preneur, merci !",
        "Je retire mon annonce pour le canapé",
        "Merci à tous, la perceuse m'a bien servi, je l'ai rendue à Paul",
        "Le club de foot organise un tournoi samedi, venez nombreux",
        "Quelqu'un a vu passer une trottinette bleue ? On me l'a volée",
        "Repair café samedi à la maison de quartier : venez faire réparer vos appareils gratuitement",
        "Plombier agréé, intervention rapide, devis gratuit ! Appelez le 06 12 34 56 78",
    ] {
        check(text, &[]);
    }
}

#[test]
fn sms_spelling_typos_emoji_and_capitals() {
    check(
        "jcherche 1 perseuse pr demain svp 🙏",
        &["request/item/-/perceuse/bricolage/2026-06-11..2026-06-11"],
    );
    check(
        "qq1 aurai une echelle a me preter ?",
        &["request/item/loan/échelle/bricolage/-"],
    );
    check(
        "DONNE CANAPÉ 3 PLACES 🛋️ À VENIR CHERCHER",
        &["offer/item/gift/canapé/maison/-"],
    );
    check(
        "Je prète ma trotinette électrique 🛴",
        &["offer/item/loan/trottinette/mobilite/-"],
    );
}

#[test]
fn formal_email_with_greeting_and_signature() {
    check(
        "Madame, Monsieur,\n\nJe me permets de vous écrire car je cherche une personne pour promener mon chien \
         pendant mon hospitalisation, du 15 au 22 juin.\n\nJe vous prie d'agréer mes salutations distinguées,\nMarcel Dupuis",
        &["request/service/-/promenade de chien/animaux/2026-06-15..2026-06-22"],
    );
}

#[test]
fn dates_resolve_against_the_sending_time() {
    check(
        "Besoin d'une perceuse ce soir",
        &["request/item/-/perceuse/bricolage/2026-06-10..2026-06-10"],
    );
    check(
        "Besoin d'une perceuse après-demain",
        &["request/item/-/perceuse/bricolage/2026-06-12..2026-06-12"],
    );
    check(
        "Besoin d'une perceuse lundi prochain",
        &["request/item/-/perceuse/bricolage/2026-06-15..2026-06-15"],
    );
    check(
        "Besoin d'une perceuse la semaine prochaine",
        &["request/item/-/perceuse/bricolage/2026-06-15..2026-06-21"],
    );
    check(
        "Besoin d'une perceuse le 14 juillet",
        &["request/item/-/perceuse/bricolage/2026-07-14..2026-07-14"],
    );
    check(
        "Besoin d'une perceuse du 3 au 10 août",
        &["request/item/-/perceuse/bricolage/2026-08-03..2026-08-10"],
    );
    check_at(
        "Je prête ma tente pendant les vacances de la Toussaint",
        "2026-09-20T10:00:00+02:00",
        &["offer/item/loan/tente/loisirs/2026-10-17..2026-11-01"],
    );
    check_at(
        "Besoin d'une perceuse jeudi 29 janvier",
        "2026-01-20T10:00:00+01:00",
        &["request/item/-/perceuse/bricolage/2026-01-29..2026-01-29"],
    );
    check(
        "Need a ladder next weekend",
        &["request/item/-/échelle/bricolage/2026-06-13..2026-06-14"],
    );
}

#[test]
fn price_and_confidence_and_span() {
    let posts = parse_at("Bonjour ! Vends vélo enfant 25€, très bon état", WED);
    assert_eq!(posts.len(), 1);
    let p = &posts[0];
    assert_eq!(p.price.map(|x| x.cents), Some(2500));
    assert!(p.confidence > 0.5 && p.confidence <= 1.0);
    let text = "Bonjour ! Vends vélo enfant 25€, très bon état";
    assert!(text[p.span.clone()].contains("Vends") && text[p.span.clone()].contains("vélo"));
}

#[test]
fn unknown_things_are_guessed_after_a_strong_cue() {
    let posts = parse_at("Je donne un gramophone en bois", WED);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].item, "gramophone");
    let known = parse_at("Je donne une perceuse en bois", WED);
    assert!(
        posts[0].confidence < known[0].confidence,
        "a guess is less sure: {posts:?} {known:?}"
    );
}

/// Issue 13: who gives decides the direction, whatever the surface (a question, a search, an
/// availability), and the same holds in English, with things named in French.
#[test]
fn who_gives_decides_the_direction() {
    check(
        "Quelqu'un a besoin d'une tondeuse ? Elle dort au garage",
        &["offer/item/-/tondeuse/jardinage/-"],
    );
    check(
        "Qui veut des courgettes ? J'en ai trop",
        &["offer/item/-/courgette/alimentation/-"],
    );
    check(
        "Je cherche quelqu'un à qui donner mon vélo d'appartement",
        &["offer/item/gift/vélo d'appartement/loisirs/-"],
    );
    check(
        "Recherche preneur pour un canapé d'angle",
        &["offer/item/-/canapé/maison/-"],
    );
    check(
        "Je serais intéressée par une poussette si quelqu'un en a une",
        &["request/item/-/poussette/enfants/-"],
    );
    check(
        "Il reste 2 places dans ma voiture pour Nantes samedi",
        &["offer/service/-/covoiturage/mobilite/2026-06-13..2026-06-13"],
    );
    check(
        "besoin de qqn pour récupérer mon fils à la crèche jeudi",
        &["request/service/-/garde d'enfants/enfants/2026-06-11..2026-06-11"],
    );
    check(
        "L'association cherche des bénévoles pour le marché de Noël",
        &["request/service/-/bénévole/entraide/-"],
    );
    check(
        "Hi, I'm giving away a drill and a ladder, come and get them",
        &[
            "offer/item/gift/perceuse/bricolage/-",
            "offer/item/gift/échelle/bricolage/-",
        ],
    );
}

/// Issue 13: past, negated, withdrawn offers, jokes taken back and events by others post
/// nothing.
#[test]
fn past_negated_retracted_and_others_events_post_nothing() {
    for text in [
        "La perceuse que je prêtais a été volée, désolé",
        "Je donne mon aspirateur. Non je rigole, il marche trop bien 😂",
        "je prête plus ma remorque, trop de soucis",
        "Troc de plantes dimanche à la salle des fêtes, apportez vos boutures",
    ] {
        check(text, &[]);
    }
}

/// Issue 13: a head thing absorbs its accessories; a bare list is one post per thing.
#[test]
fn a_head_thing_absorbs_its_accessories() {
    check(
        "Vends poussette avec habillage pluie et ombrelle 80€",
        &["offer/item/sale/poussette/enfants/-"],
    );
    check(
        "Donne table + 6 chaises, à venir chercher",
        &["offer/item/gift/table/maison/-"],
    );
    check(
        "Donne table, chaises, étagères",
        &[
            "offer/item/gift/table/maison/-",
            "offer/item/gift/chaise/maison/-",
            "offer/item/gift/étagère/maison/-",
        ],
    );
}

/// The confidence says why: each post carries the factors that moved it with their learned
/// weights, and the confidence is the logistic of their sum and the model's bias.
#[test]
fn confidence_carries_its_reasons() {
    use voisinage::parse::{Parser, SURE_CONFIDENCE};
    let sure = parse_at("Je prête ma perceuse ce week-end", WED);
    assert_eq!(sure.len(), 1);
    let p = &sure[0];
    assert!(p.confidence >= SURE_CONFIDENCE, "{p:?}");
    let z = Parser::embedded().confidence().bias + p.confidence_why.iter().map(|f| f.delta).sum::<f32>();
    let logistic = 1.0 / (1.0 + (-z).exp());
    assert!(
        (logistic.min(0.99) - p.confidence).abs() < 0.006,
        "{logistic} vs {}",
        p.confidence
    );
    // A thing the lexicon does not know is guessed, and the guess is not sure.
    let guessed = parse_at("Je donne un zigouiboulon", WED);
    assert_eq!(guessed.len(), 1);
    assert!(guessed[0].confidence < SURE_CONFIDENCE, "{:?}", guessed[0]);
    assert!(guessed[0].confidence_why.iter().any(|f| f.delta < 0.0));
}

#[test]
fn two_modes_as_alternatives_or_negated_leave_the_mode_open() {
    check(
        "Qqn aurait une ponceuse à prêter ou à vendre ?",
        &["request/item/-/ponceuse/bricolage/-"],
    );
    check(
        "Je cherche un taille-haie, à louer ou à emprunter",
        &["request/item/-/taille-haie/jardinage/-"],
    );
    // A price among the alternatives says no mode either.
    check(
        "Vends poussette 50€ ou échange contre un vélo enfant",
        &["offer/item/-/poussette/enfants/-"],
    );
    check(
        "Qqn aurait un lit parapluie pour le week-end ? Je ne peux pas payer malheureusement",
        &["request/item/-/lit parapluie/enfants/2026-06-13..2026-06-14"],
    );
    // A small thank-you is no counterpart; "contre bons soins" gives.
    check(
        "Je donne mon vieux lecteur DVD contre un sourire",
        &["offer/item/gift/lecteur dvd/high_tech/-"],
    );
    check(
        "Aquarium 60 litres contre bons soins",
        &["offer/item/gift/aquarium/animaux/-"],
    );
    check(
        "Spare apples from my tree, free for anyone who wants them",
        &["offer/item/gift/pomme/alimentation/-"],
    );
    // "pris" is not "prix".
    check(
        "Je donne des semis de tomates, j'en ai plein qui ont pris",
        &["offer/item/gift/semis/jardinage/-"],
    );
}

#[test]
fn deadlines_lists_and_heads_with_examples() {
    // "avant jeudi" is when to fetch it by, not when it is for.
    check(
        "À donner avant jeudi : une commode et deux tabourets",
        &["offer/item/gift/commode/maison/-", "offer/item/gift/tabouret/maison/-"],
    );
    // A head noun after a preposition with examples in brackets is one post.
    check(
        "Servez-vous en fruits (pommes, poires) dans le jardin, je pars en vacances",
        &["offer/item/gift/fruit/alimentation/-"],
    );
    // Everything joined by "et" before "fournis" comes with the post.
    check(
        "Cherchons des bénévoles pour nettoyer le parc dimanche, pelles et seaux fournis",
        &["request/service/-/bénévole/entraide/2026-06-14..2026-06-14"],
    );
    // The subject before the cue is context, even without a comma.
    check(
        "Le club de foot du quartier cherche des bénévoles pour le tournoi",
        &["request/service/-/bénévole/entraide/-"],
    );
}

#[test]
fn requests_for_help_welcome_paid_or_for_arms() {
    check(
        "Un coup de main pour monter des meubles serait le bienvenu samedi",
        &["request/service/-/aide au montage de meuble/maison/2026-06-13..2026-06-13"],
    );
    check(
        "Si un ado veut se faire de l'argent de poche pour laver ma voiture, 15€",
        &["request/service/sale/lavage de voiture/mobilite/-"],
    );
    check(
        "Besoin de bras samedi pour vider une cave",
        &["request/service/-/débarras/maison/2026-06-13..2026-06-13"],
    );
    // Seats left on a trip are a lift; a tent's places are its size.
    check(
        "Je descends à Marseille vendredi, il me reste 2 places, 10€ par personne",
        &["offer/service/sale/covoiturage/mobilite/2026-06-12..2026-06-12"],
    );
    check("Ma tente 3 places est à prêter", &["offer/item/loan/tente/loisirs/-"]);
}

#[test]
fn context_is_not_a_post() {
    // The activity the author wishes is what the tool asked for is for.
    check(
        "Je voudrais repeindre le volet de ma cuisine, qqn aurait un escabeau ?",
        &["request/item/-/escabeau/bricolage/-"],
    );
    // A possessed thing that is the subject of a verb tells a story.
    check(
        "Je donne des boutures de menthe, mes pieds ont trop poussé cette année",
        &["offer/item/gift/bouture/jardinage/-"],
    );
    // A price said apart from the story completes the post before it.
    check(
        "Qui veut de la rhubarbe ? Mes plants poussent trop, 2€ la botte",
        &["offer/item/sale/rhubarbe/alimentation/-"],
    );
    // ...but a subject followed by its own cue is a post.
    check(
        "Je vends ma table, mes chaises sont aussi à vendre",
        &["offer/item/sale/table/maison/-", "offer/item/sale/chaise/maison/-"],
    );
}

#[test]
fn swaps_and_errands_without_an_offer_verb() {
    check(
        "Mon vélo de route contre ta trottinette ?",
        &["offer/item/swap/vélo/mobilite/-"],
    );
    check(
        "Je passe chez Leclerc samedi, si qqn a besoin de quelque chose je peux ramener des trucs",
        &["offer/service/-/courses/entraide/2026-06-13..2026-06-13"],
    );
}

#[test]
fn hypothetical_offers_and_idioms_post_nothing() {
    check("Si j'avais une tondeuse je vous la prêterais volontiers", &[]);
    check("J'aurais bien prêté ma remorque mais elle est chez le garagiste", &[]);
    check("If I still had my old cot I'd give it to you", &[]);
    // "rendre la pareille" is no loan.
    check(
        "Quelqu'un aurait des cartons pour mon déménagement ? Je rends la pareille avec un apéro",
        &["request/item/-/carton/maison/-"],
    );
    check(
        "2 places dans ma voiture pour aller à Nantes samedi",
        &["offer/service/-/covoiturage/mobilite/2026-06-13..2026-06-13"],
    );
}

#[test]
fn looking_for_takers_and_free_things_are_offers() {
    check(
        "Des amateurs pour un piano droit ? À venir chercher",
        &["offer/item/-/piano/loisirs/-"],
    );
    check(
        "Qui prendrait mes cartons de déménagement ? Une vingtaine",
        &["offer/item/-/carton/maison/-"],
    );
    check(
        "Free firewood, come and take it",
        &["offer/item/gift/bois de chauffage/maison/-"],
    );
    // The author taking it is still a request.
    check(
        "Je suis preneur d'un vélo d'enfant",
        &["request/item/-/vélo enfant/mobilite/-"],
    );
    // A price after the accessories of a thing is its price.
    check(
        "Poussette avec nacelle, cosy et habillage pluie, 80€",
        &["offer/item/sale/poussette/enfants/-"],
    );
}

#[test]
fn self_descriptions_offer_and_nobody_would_have_asks() {
    check(
        "Étudiant sérieux propose soutien scolaire en maths et physique, niveau lycée",
        &["offer/service/-/soutien scolaire/education/-"],
    );
    check(
        "Je suis couturière, je fais vos ourlets pour pas cher",
        &["offer/service/sale/retouche/vetements/-"],
    );
    check(
        "Qqn propose des cours de yoga dans le quartier ?",
        &["request/service/-/cours de yoga/loisirs/-"],
    );
    check(
        "Personne n'aurait un tire-lait à prêter ? Le mien a lâché",
        &["request/item/loan/tire-lait/enfants/-"],
    );
    // An offer made before and taken back.
    check(
        "J'avais proposé mon aide pour les devoirs mais je n'ai plus le temps",
        &[],
    );
}

#[test]
fn pronouns_and_infinitives_point_at_the_right_thing() {
    // "la sienne" is the thing named before; what it is borrowed for is no post.
    check(
        "Ma perceuse a lâché. Qqn peut me prêter la sienne le temps que je la fasse réparer ?",
        &["request/item/loan/perceuse/bricolage/-"],
    );
    // The object of an infinitive after "qui veut" is not what is lent.
    check(
        "Mon garage est libre tout le mois de juillet, je le prête à qui veut y ranger sa moto",
        &["offer/item/loan/garage/mobilite/2026-07-01..2026-07-31"],
    );
    // "peut-être" is no modal: what follows is asked too.
    check(
        "Il lui faudrait des béquilles et peut-être aussi un déambulateur, on rendra tout",
        &[
            "request/item/loan/béquille/sante/-",
            "request/item/loan/déambulateur/sante/-",
        ],
    );
}

#[test]
fn sms_je_glued_to_verbs_and_english_offers() {
    check(
        "kk1 ora 1 diable pr demain ? jdemenage",
        &["request/item/-/diable/maison/2026-06-11..2026-06-11"],
    );
    check(
        "jdonne 1 canap, faut venir le chercher avt samedi",
        &["offer/item/gift/canapé/maison/-"],
    );
    // Paying for pizzas is a thank-you, not a price.
    check(
        "qqn pr m aider a demenager samedi ? jpaie les pizzas",
        &["request/service/-/aide au déménagement/maison/2026-06-13..2026-06-13"],
    );
    check(
        "We've got loads of apples from our tree, help yourselves!",
        &["offer/item/gift/pomme/alimentation/-"],
    );
    check(
        "I can drive people to the vaccination centre on Thursday",
        &["offer/service/-/covoiturage/mobilite/2026-06-11..2026-06-11"],
    );
}

#[test]
fn implicit_offers_free_lists_and_advice() {
    check(
        "Nos enfants sont partis, la maison est trop grande : 2 chambres libres pour des étudiants",
        &["offer/service/-/hébergement/entraide/-"],
    );
    // A broad word in a comma list is a post of its own; "tout est gratuit" gives.
    check(
        "On vide l'appartement de ma mère, il y a des meubles, de la vaisselle, des livres. Tout est gratuit",
        &[
            "offer/item/gift/meuble/maison/-",
            "offer/item/gift/vaisselle/cuisine/-",
            "offer/item/gift/livre/loisirs/-",
        ],
    );
    // "prêtes" is ready here, not lent.
    check(
        "Mes tomates sont prêtes, passez en prendre !",
        &["offer/item/-/tomate/alimentation/-"],
    );
    check(
        "Je serais ravie de garder vos plantes pendant vos vacances",
        &["offer/service/-/arrosage des plantes/entraide/-"],
    );
    check(
        "Avis aux bricoleurs : j'ai une scie sauteuse qui ne sert plus",
        &["offer/item/-/scie sauteuse/bricolage/-"],
    );
    check(
        "Possible de m'emprunter la tondeuse quand vous voulez",
        &["offer/item/loan/tondeuse/jardinage/-"],
    );
    check("Besoin d'un avis : quel aspirateur acheter ?", &[]);
}

#[test]
fn what_happens_otherwise_and_modes_said_apart() {
    // "Sinon … lundi" is what happens if nobody takes it, not when the offer is for; "ça
    // tente" offers no tent, and a box offers what it holds.
    check(
        "Ça tente quelqu'un, un carton de vieux vinyles ? Sinon je les jette lundi",
        &["offer/item/-/vinyle/loisirs/-"],
    );
    // A loan said beside other things still completes the request before.
    check(
        "Qqn a une crêpière ? Je la rends avec des crêpes",
        &["request/item/loan/crêpière/cuisine/-"],
    );
    check(
        "Je suis dispo le samedi, si qqn a besoin d'aide pour son jardin",
        &["offer/service/-/entretien de jardin/jardinage/-"],
    );
}

#[test]
fn requests_for_a_person_in_more_voices() {
    check(
        "Qui se sentirait de tondre ma pelouse pendant mon hospitalisation ?",
        &["request/service/-/tonte de pelouse/jardinage/-"],
    );
    check(
        "Y aurait-il un couturier pour raccourcir un pantalon ?",
        &["request/service/-/retouche/vetements/-"],
    );
    check(
        "Je cherche un partenaire de tennis le samedi matin",
        &["request/service/-/partenaire de sport/loisirs/-"],
    );
}

#[test]
fn a_date_before_a_new_cue_belongs_to_it() {
    check(
        "Je prête ma remorque samedi, et dimanche j'aurais besoin d'un diable",
        &[
            "offer/item/loan/remorque/mobilite/2026-06-13..2026-06-13",
            "request/item/-/diable/maison/2026-06-14..2026-06-14",
        ],
    );
}

#[test]
fn looking_for_ones_own_thing_asks_nothing() {
    check("Je cherche mes lunettes, je crois que je les ai oubliées au parc", &[]);
    check("Looking for my keys, lost near the bakery", &[]);
    check("Je cherche un vélo pour mon fils", &["request/item/-/vélo/mobilite/-"]);
}

#[test]
fn plan_b_and_what_the_tool_is_for_are_context() {
    check(
        "Je cherche un taille-haie, sinon j'en achète un chez Leroy Merlin",
        &["request/item/-/taille-haie/jardinage/-"],
    );
    check(
        "Je fais un gâteau pour l'anniversaire de ma fille, qqn aurait un moule à charnière ?",
        &["request/item/-/moule/cuisine/-"],
    );
}

#[test]
fn english_requests_and_offers_in_more_words() {
    check(
        "My drill is available to borrow, just ask",
        &["offer/item/loan/perceuse/bricolage/-"],
    );
    check(
        "I could use a hand with my garden this weekend",
        &["request/service/-/entretien de jardin/jardinage/2026-06-13..2026-06-14"],
    );
    check(
        "Would anyone be able to help me carry a wardrobe upstairs?",
        &["request/service/-/aide au déménagement/maison/-"],
    );
    check("Free to a good home: a desk lamp", &["offer/item/gift/lampe/maison/-"]);
}

#[test]
fn free_trials_and_swaps_asked_of_others() {
    // A free first lesson is a promotion of a paid one.
    check(
        "Cours de piano, 20€ la séance, premier cours gratuit",
        &["offer/service/sale/cours de piano/education/-"],
    );
    // "m'échanger": someone else gives, the author asks.
    check(
        "Qqn voudrait m'échanger des tomates contre des courgettes ?",
        &["request/item/swap/tomate/alimentation/-"],
    );
}

/// Constructions found by the fresh sets holdout12 and holdout13 (sentences of our own).
#[test]
fn heads_shared_hands_asked_and_the_reader_acting_for_me() {
    // "<head> de X et de Y": more of the same thing, not a second thing.
    check(
        "Je donne des boutures de menthe et de mélisse, passez les prendre",
        &["offer/item/gift/bouture/jardinage/-"],
    );
    // "il nous manque des bras": a hand asked.
    check(
        "Je repeins la cuisine dimanche et il me manque des bras",
        &["request/service/-/coup de main/entraide/2026-06-14..2026-06-14"],
    );
    // The reader would do it for me: a request; take it off my hands: an offer.
    check(
        "Qui voudrait m'apprendre à jouer aux échecs ?",
        &["request/service/-/cours d'échecs/education/-"],
    );
    check(
        "Qui voudrait me racheter mon vélo ? 40€",
        &["offer/item/sale/vélo/mobilite/-"],
    );
    // "if anyone needs to borrow it" is the reader borrowing.
    check(
        "I have a spare ladder if anyone needs to borrow it",
        &["offer/item/loan/échelle/bricolage/-"],
    );
    // "si des gens ont …" asks; "si des gens veulent …" offers.
    check(
        "Si des gens ont des vieux journaux, l'école en a besoin pour un bricolage",
        &["request/item/-/journal/loisirs/-"],
    );
    // Sharing the petrol is no offer: the lift is asked.
    check(
        "Y a quelqu'un qui va à Brest samedi ? Je partage l'essence",
        &["request/service/-/covoiturage/mobilite/2026-06-13..2026-06-13"],
    );
    // Information questions.
    check("Quelqu'un peut me dire où se trouve la nouvelle poste ?", &[]);
    check("Y a-t-il un club de scrabble dans le quartier ?", &[]);
}

/// A broad thing asked after other things gives way only to things of its kind, and a bare
/// "Débarrasse …" opening a list parts with it (holdout14's constructions, our sentences).
#[test]
fn broad_things_and_clearing_out() {
    check(
        "Ma voisine coud des trousses pour l'école, si vous avez du tissu qui traîne elle prend !",
        &["request/item/-/tissu/loisirs/-"],
    );
    check(
        "Débarrasse cave : vieux livres, lampes, vaisselle. Tout gratuit",
        &[
            "offer/item/gift/livre/loisirs/-",
            "offer/item/gift/lampe/maison/-",
            "offer/item/gift/vaisselle/cuisine/-",
        ],
    );
}

/// Constructions found by the fresh sets holdout16–19 (estate slang, a village, students, long
/// mixed posts); the sentences are our own.
#[test]
fn lost_pets_past_wishes_and_what_a_helper_brings() {
    // A lost animal asks the neighbours to look out (SCHEMA.md), in French and English.
    check(
        "Notre lapin nain a disparu, il est tout blanc, merci d'ouvrir l'œil",
        &["request/service/-/recherche d'animal perdu/animaux/-"],
    );
    check(
        "Lost my cat near the school, black with a white paw, please call me",
        &["request/service/-/recherche d'animal perdu/animaux/-"],
    );
    // (Once listed as chatter here; SCHEMA.md makes a lost animal a request.)
    check(
        "J'ai perdu mon chat roux hier soir rue des Lilas, si vous le voyez appelez-moi",
        &["request/service/-/recherche d'animal perdu/animaux/-"],
    );
    // What could have been given, a lottery win, a search already over: no post.
    check("J'aurais pu te donner mes vieux rideaux mais je les ai jetés", &[]);
    check(
        "Si je gagne au loto je vous paie à tous une voiture 😂 Par contre je cherche une brouette pour samedi",
        &["request/item/-/brouette/jardinage/2026-06-13..2026-06-13"],
    );
    check(
        "Merci à tous ceux qui ont cherché mon portefeuille avec moi, il était dans la voiture",
        &[],
    );
    // The buyer's bags, the honey's kind, the eggs' hens and a delivered stère are no things.
    check(
        "J'ai des pommes à donner, apportez vos cagettes",
        &["offer/item/gift/pomme/alimentation/-"],
    );
    check(
        "Vends œufs frais de nos poules, 3€ la douzaine",
        &["offer/item/sale/œuf/alimentation/-"],
    );
    check(
        "Vends bois de chauffage sec, 70€ le stère livré",
        &["offer/item/sale/bois de chauffage/maison/-"],
    );
    // Paying is a mode of the request, not an offer; "j'offre" an item gives it.
    check(
        "Qui pourrait garder mon chat ce week-end ? Je peux rémunérer",
        &["request/service/sale/garde de chat/animaux/2026-06-13..2026-06-14"],
    );
    check(
        "J'offre une cafetière italienne, elle marche très bien",
        &["offer/item/gift/cafetière/cuisine/-"],
    );
    check(
        "Je peux tondre vos pelouses le samedi. Bénévole bien sûr !",
        &["offer/service/gift/tonte de pelouse/jardinage/-"],
    );
    // People who have it are asked; a person with a car is asked for a ride.
    check(
        "y a des gens qui ont des bocaux ? c'est pour les confitures",
        &["request/item/-/bocal/cuisine/-"],
    );
    check(
        "Y a quelqu'un qui a une voiture et qui pourrait m'emmener chez le dentiste vendredi ?",
        &["request/service/-/trajet/mobilite/2026-06-12..2026-06-12"],
    );
    // Fetching it oneself with one's van offers no van; paying the petrol sells nothing.
    check(
        "Je cherche des palettes, je peux venir les chercher avec ma camionnette",
        &["request/item/-/palette/bricolage/-"],
    );
    check(
        "qqn descend sur Nantes jeudi ? je paie l'essence",
        &["request/service/-/covoiturage/mobilite/2026-06-11..2026-06-11"],
    );
    // A games night out is no thing on offer.
    check("Soirée jeux vendredi au café du coin, qui vient ?", &[]);
}

/// What is given in return for a request, a list that goes on after "avec", a lot whose
/// content a colon lists, one head for two complements (holdout16–19's constructions, our
/// sentences).
#[test]
fn counterparts_lots_and_lists_after_avec() {
    // Given in return for a request: the request is a swap, the counterpart no post.
    check(
        "Je cherche une luge pour les enfants, je donne un puzzle en échange",
        &["request/item/swap/luge/loisirs/-"],
    );
    check(
        "Je cherche qqn pour tondre ma pelouse samedi, et en échange je vous prête ma remorque",
        &["request/service/swap/tonte de pelouse/jardinage/2026-06-13..2026-06-13"],
    );
    // An offer first and a request in return stay two posts.
    check(
        "Je prête ma perceuse, et en échange je cherche un escabeau",
        &[
            "offer/item/loan/perceuse/bricolage/-",
            "request/item/swap/escabeau/bricolage/-",
        ],
    );
    // "avec sa housse" comes with the guitar; ", une lampe" goes on with the list.
    check(
        "Je donne une guitare avec sa housse, une lampe de bureau et deux chaises pliantes",
        &[
            "offer/item/gift/guitare/loisirs/-",
            "offer/item/gift/lampe/maison/-",
            "offer/item/gift/chaise pliante/maison/-",
        ],
    );
    // A lot whose content a colon lists is one thing.
    check(
        "Je donne un lot de jouets de ma fille : peluches, dînette, puzzles",
        &["offer/item/gift/jouet/enfants/-"],
    );
    check(
        "Je donne un lot de vaisselle : assiettes, verres et saladier",
        &["offer/item/gift/vaisselle/cuisine/-"],
    );
    // "des graines de tomates et de courgettes": one head, two complements.
    check(
        "Je donne des graines de tomates et de courgettes, servez-vous",
        &["offer/item/gift/graine/jardinage/-"],
    );
}

/// Part of a month ("fin juillet", "début août") is a vague time: the corpora give it no dates
/// (holdout18's "je move out fin juin donc je vends…"); "jusqu'à fin juin" still ends a span.
#[test]
fn part_of_a_month_is_vague() {
    check(
        "Je cherche un transat pour fin juillet",
        &["request/item/-/transat/enfants/-"],
    );
    check(
        "Je pars début août, je donne mes plantes vertes",
        &["offer/item/gift/plante/jardinage/-"],
    );
    check(
        "Je prête ma tente jusqu'à fin juin",
        &["offer/item/loan/tente/loisirs/2026-06-10..2026-06-30"],
    );
}

/// The dates of the author's move are not those of what the move makes them give or sell; a
/// request for help with it still takes them. Using the reader's thing for a while borrows it
/// (holdout18's constructions, our sentences).
#[test]
fn a_move_dates_itself_and_using_for_a_while_borrows() {
    check(
        "Je déménage samedi, je donne mon canapé et ma table basse",
        &[
            "offer/item/gift/canapé/maison/-",
            "offer/item/gift/table basse/maison/-",
        ],
    );
    check(
        "On rend les clés vendredi, on vend le frigo 50€",
        &["offer/item/sale/frigo/maison/-"],
    );
    check(
        "Je déménage samedi, qqn pourrait me donner un coup de main ?",
        &["request/service/-/coup de main/entraide/2026-06-13..2026-06-13"],
    );
    check(
        "Does anyone have a ladder I could use for an afternoon?",
        &["request/item/loan/échelle/bricolage/-"],
    );
}

/// Round 10 (read on holdout41 and holdout43's misses; our sentences): asking who would like a
/// thing offers it; what the author might do some day offers nothing now; a thing "à échanger"
/// after a request pays for it; a lift offered in a vehicle is a lift; a service is never lent;
/// an "avec" ends at a price; the author's own firm offer is no event by others; asking
/// neighbours to stop doing something asks for nothing.
#[test]
fn wishes_asked_swaps_paid_lifts_and_prices_that_close_a_thing() {
    check(
        "Qui souhaiterait un buffet en merisier ? Je le donne.",
        &["offer/item/gift/buffet/maison/-"],
    );
    check(
        "Quelqu'un aurait-il l'usage d'un déshumidificateur ?",
        &["offer/item/-/déshumidificateur/maison/-"],
    );
    check("Si un jour on a un poulailler, je m'occupe des poules", &[]);
    check(
        "Je cherche une draisienne, j'ai une trottinette à échanger",
        &["request/item/swap/draisienne/enfants/-"],
    );
    check(
        "Qui veut des plants de tomates ? J'en ai trop, à échanger contre des courgettes",
        &["offer/item/swap/plant de tomate/jardinage/-"],
    );
    check(
        "Heading to the garden centre on Saturday with my van, room for 2 people",
        &["offer/service/-/covoiturage/mobilite/2026-06-13..2026-06-13"],
    );
    check(
        "Qqn pourrait arroser mes tomates ce week-end ? Je rapporte des fruits",
        &["request/service/-/arrosage des plantes/entraide/2026-06-13..2026-06-14"],
    );
    check(
        "Je vends une poussette avec habillage pluie 40€, un transat 15€, et une chaise haute 20€",
        &[
            "offer/item/sale/poussette/enfants/-",
            "offer/item/sale/transat/enfants/-",
            "offer/item/sale/chaise haute/enfants/-",
        ],
    );
    check(
        "Je donne des cours de dessin à la médiathèque le jeudi, c'est gratuit",
        &["offer/service/gift/cours de dessin/education/-"],
    );
    check("Pourriez-vous éviter de garer vos vélos dans le hall ?", &[]);
    check(
        "Qqn pourrait garder mon chat samedi ? Appartement au 3e gauche",
        &["request/service/-/garde de chat/animaux/2026-06-13..2026-06-13"],
    );
    check(
        "Une bonne âme pour m'accompagner chez le dentiste ?",
        &["request/service/-/accompagnement/entraide/-"],
    );
    // "à qui voudrait se lancer": after an object pronoun comes a verb, no thing.
    check(
        "Je prête mon moule à kouglof et ma terrine à qui voudrait se lancer",
        &["offer/item/loan/moule/cuisine/-", "offer/item/loan/terrine/cuisine/-"],
    );
    // An unknown infinitive after "pourrait" and a pet's name are no things.
    for text in [
        "Qqn pourrait dépoussiérer mon grenier ?",
        "Perdu : chat gris appelé Bouton, près de la gare",
    ] {
        let got = show(text, WED);
        assert!(
            got.iter().all(|p| !p.contains("dépoussiérer") && !p.contains("bouton")),
            "{text}: {got:?}"
        );
    }
}

/// Dates of round 10: a start said before "jusqu'au" starts the span; "Saturday the 28th";
/// "on Tuesday evenings" is a habit, no date.
#[test]
fn a_span_from_a_weekday_and_english_days() {
    check(
        "Je serai absente à partir de lundi et jusqu'au vendredi 19 juin, qqn pourrait nourrir mon chat ?",
        &["request/service/-/garde de chat/animaux/2026-06-15..2026-06-19"],
    );
    check(
        "We need a ladder on Saturday the 20th",
        &["request/item/-/échelle/bricolage/2026-06-20..2026-06-20"],
    );
    check(
        "I'm looking for a babysitter on Tuesday evenings",
        &["request/service/-/baby-sitting/enfants/-"],
    );
}

/// Round 11: a word of the lexicon right after a subject pronoun is a verb ("je livre", "il
/// lit"); a place named after "devant", "en face de"… is no event; a price beside an event by
/// others sells nothing; an aside in brackets does not end a clause; a thing followed by a
/// colon and kinds of it heads their list; a repair takes its object's category; "pas besoin
/// de me payer" is a gift; "je passe les chercher" is the taker speaking; a date right after a
/// past participle says when something happened.
#[test]
fn verbs_after_a_subject_places_asides_and_lists_after_a_colon() {
    check(
        "J'ai du bois de chauffage bien sec je le vends 60 euros le stère je livre dans le quartier",
        &["offer/item/sale/bois de chauffage/maison/-"],
    );
    check(
        "On part à la plage samedi, il reste 2 places dans la voiture, rendez-vous devant la mairie à 9h",
        &["offer/service/-/covoiturage/mobilite/2026-06-13..2026-06-13"],
    );
    check(
        "La kermesse de l'école aura lieu samedi dans la cour. Tombola 2 euros, gâteaux et boissons sur place",
        &[],
    );
    check(
        "I'm giving away my sofa (a bit worn but comfy) and a coffee table",
        &[
            "offer/item/gift/canapé/maison/-",
            "offer/item/gift/table basse/maison/-",
        ],
    );
    check(
        "On vend des affaires de camping : une tente, un réchaud, des duvets",
        &[
            "offer/item/sale/tente/loisirs/-",
            "offer/item/sale/réchaud/loisirs/-",
            "offer/item/sale/duvet/loisirs/-",
        ],
    );
    check(
        "Qqn saurait réparer ma tondeuse ? Elle ne démarre plus",
        &["request/service/-/réparation/jardinage/-"],
    );
    check(
        "Je peux arroser vos plantes cet été, pas besoin de me payer",
        &["offer/service/gift/arrosage des plantes/entraide/-"],
    );
    check(
        "Besoin de qqn pour garder mes 3 petits mercredi après-midi",
        &["request/service/-/garde d'enfants/enfants/2026-06-17..2026-06-17"],
    );
    check(
        "Je cherche du bois de palette, si qqn en jette jviens le chercher avec ma camionnette",
        &["request/item/-/palette/bricolage/-"],
    );
    check(
        "Je donne mon vieux four contre un grille-pain, le mien a grillé ce matin",
        &["offer/item/swap/four/cuisine/-"],
    );
}

/// Round 12 (holdout48 and 49, read): "qqn à" before an infinitive is no "qqn a"; kinds in
/// brackets after an unknown noun are one thing; "y a moyen que qqn…", "qui a encore…" ask;
/// looking for hours of work offers them; "nos besoins" is a noun; someone asked to come and
/// look at the author's thing is a repair; people asked for a task are a hand asked for; a
/// drink offered in thanks is no offer; a date after "depuis" is the story's. Each sentence
/// but the trip from Orly failed on a4bbac9's parser.
#[test]
fn people_asked_for_work_sought_and_kinds_in_brackets() {
    check(
        "Dispo samedi pour aider qqn à repeindre sa cuisine, gratuit",
        &["offer/service/gift/travaux de peinture/bricolage/2026-06-13..2026-06-13"],
    );
    check(
        "Ma fille se met au skate, qqn aurait des protections (genouillères, coudières) ?",
        &["request/item/-/genouillère/sante/-"],
    );
    check(
        "Y a moyen que qqn me dépose à la gare demain matin ?",
        &["request/service/-/covoiturage/mobilite/2026-06-11..2026-06-11"],
    );
    check(
        "Je cherche des heures de repassage, 10€ de l'heure",
        &["offer/service/sale/repassage/maison/-"],
    );
    check(
        "Notre figuier nous a gâtés au-delà de nos besoins, je donne des figues",
        &["offer/item/gift/figue/alimentation/-"],
    );
    check(
        "Le chauffe-eau fait un bruit bizarre, qqn pourrait venir regarder ?",
        &["request/service/-/réparation/maison/-"],
    );
    check(
        "Qui a encore des pots de confiture vides ? Je les rends pleins",
        &["request/item/loan/pot en verre/cuisine/-"],
    );
    check(
        "On cherche deux trois jeunes motivés pour distribuer des tracts samedi matin",
        &["request/service/-/coup de main/entraide/2026-06-13..2026-06-13"],
    );
    check(
        "Besoin de bras pour monter un frigo au 4e, j'offre le pastis",
        &["request/service/-/coup de main/entraide/-"],
    );
    // What has lasted since a date is a story; a trip "depuis" a place keeps its date.
    check(
        "Le lave-linge fuit depuis la lessive de dimanche, qqn s'y connaît ?",
        &["request/service/-/réparation/maison/-"],
    );
    check(
        "Je cherche qqn qui s'y connaît en plomberie, l'évier fuit depuis lundi",
        &["request/service/-/plomberie/bricolage/-"],
    );
    check(
        "Je cherche un trajet depuis Orly le 2 juillet",
        &["request/service/-/trajet/mobilite/2026-07-02..2026-07-02"],
    );
    // An infinitive after an object pronoun is no thing.
    check(
        "Nous prêtons volontiers notre jardin à une famille qui voudrait le cultiver",
        &[],
    );
}
