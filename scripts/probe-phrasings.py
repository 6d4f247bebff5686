#!/usr/bin/env python3
"""Offer and request phrasings x things: each templated message must give one post of the
template's direction, and no-post phrasings (withdrawn, past, thanks, questions for
information) none. A probe of constructions rather than sentences: a phrasing that fails
fails for every thing. Exit status 1 when a template fails.

Known gaps, left out: a direction said in a clause of its own before the thing ("Qui en
voudrait ? Une perceuse", "Si ça vous dit, j'ai une perceuse"); lending it forward lowered the
figures on train2's never-read third.

  scripts/probe-phrasings.py ["target/debug/voisinage parse"]
"""
import json
import subprocess
import sys

run = sys.argv[1] if len(sys.argv) > 1 else "target/debug/voisinage parse"
mine={"perceuse":"ma perceuse","vélo":"mon vélo","poussette":"la poussette","carton":"mes cartons","tente":"ma tente"}
items=[("une perceuse","perceuse"),("un vélo","vélo"),("une poussette","poussette"),("des cartons","carton"),("une tente","tente")]
offer=["Quelqu'un voudrait {x} ?","Ça intéresse quelqu'un, {x} ?","Qui serait intéressé par {x} ?","Qui veut {x} ?","{X} à donner","Je donne {x}","Je me sépare de {x}","Je cède {x}","Je propose {x} à qui en a besoin","J'ai {x} qui ne sert plus","Si quelqu'un a besoin de {x}, j'en ai","Dispo : {x}","J'ai {x} en trop","Je peux prêter {x}","{X} à prêter","Je prête volontiers {x}","Avis aux amateurs : {x}","Ça peut servir à quelqu'un, {x} ?","Je laisse {x} à qui la veut","À récupérer : {x}","Je vends {x}, 20€","{X} à vendre","Quelqu'un cherche {x} ? J'en ai","Je cherche preneur pour {x}","Je cherche quelqu'un à qui donner {x}","Je débarrasse {x}, premier arrivé premier servi","Gratuit : {x}","Je mets {x} à disposition","Qui a besoin de {x} ?","Des amateurs pour {x} ?","Ça dépannerait quelqu'un, {x} ?","J'offre {x}","{X} dispo si besoin","J'ai {x} qui dort à la cave","Qui prendrait {x} ?","Je peux vous passer {x}","Je peux vous filer {x}","I'm giving away {x_en}","Anyone want {x_en}?","Free {x_en}, come and grab it","I can lend {x_en}"]
request=["Quelqu'un aurait {x} ?","Qqn aurait {x} à me prêter ?","Je cherche {x}","Je suis à la recherche de {x}","Besoin de {x} svp","J'aurais besoin de {x}","Il me faudrait {x}","Quelqu'un pourrait me prêter {x} ?","Je recherche {x}","Auriez-vous {x} ?","Vous n'auriez pas {x} ?","Qui pourrait me dépanner de {x} ?","Est-ce que quelqu'un a {x} ?","Quelqu'un peut me passer {x} ?","Je voudrais emprunter {x}","Qui aurait {x} qui traîne ?","Personne n'aurait {x} ?","Y aurait-il {x} dans le quartier ?","Je suis preneur de {x}","Je serais intéressé par {x}","Urgent, {x} !!","Cherche {x}","Recherche {x}","Avis de recherche : {x}","Si quelqu'un a {x}, je suis preneur","Je cherche à emprunter {x}","Je veux bien {x} si quelqu'un en a","Je cherche à acheter {x}","Quelqu'un vend {x} ?","Does anyone have {x_en}?","Looking for {x_en}","Can I borrow {x_en}?","I need {x_en}"]
none=["Je ne prête plus {x}","{X} est partie, merci à tous","{X} a trouvé preneur","Plus besoin de {x}, merci","Je voulais donner {x} mais finalement je la garde","{X} n'est plus disponible","J'ai prêté {x} à Paul hier","Merci à Julie pour {x} !","Hier j'ai vendu {x}","Si j'avais {x} je vous la prêterais","C'est bon pour {x}, j'ai trouvé","Quelqu'un a vu {x} ? Je l'ai perdue","Je rigole, je garde {x}","Vous savez où réparer {x} ?","Où peut-on acheter {x} pas cher ?","{X} est réservée","J'avais proposé {x}, elle est partie","Je ne donne pas {x}, désolée","Qui a pris {x} dans le hall ?","Rendez-moi {x} svp Marc","Je récupère {x} chez le réparateur demain","{X} a été donnée","Annulé pour {x}","Désolée, {x} est déjà prêtée","J'ai retrouvé {x}, fausse alerte"]
en={"perceuse":"a drill","vélo":"a bike","poussette":"a pushchair","carton":"some boxes","tente":"a tent"}
rows=[]
for d,T in (("offer",offer),("request",request),("none",none)):
    for t in T:
        for x,name in items:
            x=mine[name] if d=="none" else x
            text=t.replace("{x}",x).replace("{X}",x[0].upper()+x[1:]).replace("{x_en}",en[name])
            rows.append((d,t,name,text))
inp=''.join(json.dumps({"id":str(i),"text":r[3],"sent_at":"2026-03-11T18:20:00+01:00","expect":[]},ensure_ascii=False)+"\n" for i,r in enumerate(rows))
out=subprocess.run(run,shell=True,input=inp,capture_output=True,text=True,check=True).stdout.splitlines()
bad={}
for r,o in zip(rows,out):
    ps=json.loads(o)['posts']
    ok=(not ps) if r[0]=="none" else (len(ps)==1 and ps[0]['direction']==r[0])
    if not ok: bad.setdefault((r[0],r[1]),[]).append((r[2],[(p['direction'][:3],p['item']) for p in ps]))
for k,v in bad.items(): print(k[0][:3], '|', k[1], '|', len(v), v[:2])
print(len(bad),"templates fail of",len(offer)+len(request)+len(none))
sys.exit(1 if bad else 0)
