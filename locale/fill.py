"""Kontor's translations, kept as one table so a reviewer sees every language side by side.

`python locale/fill.py` writes them into locale/<lang>/LC_MESSAGES/django.po after
`make makemessages`; words follow ../shared/GLOSSARY.md. Run `make messages` to compile.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

LANGS = ("fr", "de", "it", "tr")
T: dict[str, tuple[str, str, str, str]] = {
    # apps and sections
    "Kontor": ("Kontor", "Kontor", "Kontor", "Kontor"),
    "Billing": ("Facturation", "Abrechnung", "Fatturazione", "Faturalama"),
    "Customers and contracts": (
        "Clients et contrats",
        "Kunden und Verträge",
        "Clienti e contratti",
        "Müşteriler ve sözleşmeler",
    ),
    "Subscriptions": ("Abonnements", "Abonnements", "Abbonamenti", "Abonelikler"),
    "Quotes": ("Devis", "Angebote", "Preventivi", "Teklifler"),
    "Customer portal": ("Portail client", "Kundenportal", "Portale clienti", "Müşteri portalı"),
    "Dashboard": ("Tableau de bord", "Übersicht", "Pannello", "Genel bakış"),
    "An overview of your account.": (
        "Un aperçu de votre compte.",
        "Ein Überblick über Ihr Konto.",
        "Una panoramica del tuo account.",
        "Hesabınıza genel bir bakış.",
    ),
    "The modules and tariffs you subscribe to, with renewal dates.": (
        "Les modules et tarifs auxquels vous êtes abonné, avec leurs dates de renouvellement.",
        "Die Module und Tarife, die Sie abonniert haben, mit ihren Verlängerungsdaten.",
        "I moduli e le tariffe a cui sei abbonato, con le date di rinnovo.",
        "Abone olduğunuz modüller ve tarifeler, yenileme tarihleriyle.",
    ),
    "Invoices": ("Factures", "Rechnungen", "Fatture", "Faturalar"),
    "Your invoices and credit notes, to view, download and pay.": (
        "Vos factures et avoirs, à consulter, télécharger et payer.",
        "Ihre Rechnungen und Rechnungskorrekturen zum Ansehen, Herunterladen und Bezahlen.",
        "Le tue fatture e note di credito, da consultare, scaricare e pagare.",
        "Faturalarınız ve iade faturalarınız: görüntüleyin, indirin ve ödeyin.",
    ),
    "Payments": ("Paiements", "Zahlungen", "Pagamenti", "Ödemeler"),
    "Every payment you made and the invoices it settled.": (
        "Chaque paiement effectué et les factures qu'il a réglées.",
        "Jede Ihrer Zahlungen und die Rechnungen, die damit beglichen wurden.",
        "Ogni pagamento effettuato e le fatture che ha saldato.",
        "Yaptığınız her ödeme ve kapattığı faturalar.",
    ),
    "Quotes waiting for your approval, and those you approved.": (
        "Les devis qui attendent votre accord et ceux que vous avez acceptés.",
        "Angebote, die auf Ihre Annahme warten, und die bereits angenommenen.",
        "I preventivi in attesa della tua accettazione e quelli già accettati.",
        "Onayınızı bekleyen teklifler ve onayladıklarınız.",
    ),
    "Credits": ("Crédits", "Guthaben", "Crediti", "Krediler"),
    "Your credit balance, credit packages and their use.": (
        "Votre solde créditeur, vos forfaits de crédits et leur utilisation.",
        "Ihr Guthaben, Ihre Guthabenpakete und deren Verbrauch.",
        "Il tuo credito disponibile, i pacchetti di crediti e il loro utilizzo.",
        "Alacak bakiyeniz, kredi paketleriniz ve kullanımları.",
    ),
    "Payment methods": (
        "Moyens de paiement",
        "Zahlungsmethoden",
        "Metodi di pagamento",
        "Ödeme yöntemleri",
    ),
    "The cards and accounts your invoices are paid with.": (
        "Les cartes et comptes avec lesquels vos factures sont payées.",
        "Die Karten und Konten, mit denen Ihre Rechnungen bezahlt werden.",
        "Le carte e i conti con cui vengono pagate le tue fatture.",
        "Faturalarınızın ödendiği kartlar ve hesaplar.",
    ),
    "Orders": ("Commandes", "Bestellungen", "Ordini", "Siparişler"),
    "Your orders and how far their delivery has come.": (
        "Vos commandes et l'avancement de leur livraison.",
        "Ihre Bestellungen und wie weit ihre Lieferung ist.",
        "I tuoi ordini e a che punto è la loro consegna.",
        "Siparişleriniz ve teslimatlarının ne aşamada olduğu.",
    ),
    "Contract": ("Contrat", "Vertrag", "Contratto", "Sözleşme"),
    "Your contract data, contacts and billing details.": (
        "Les données de votre contrat, vos contacts et vos informations de facturation.",
        "Ihre Vertragsdaten, Ansprechpartner und Rechnungsangaben.",
        "I dati del tuo contratto, i contatti e i dati di fatturazione.",
        "Sözleşme bilgileriniz, iletişim kişileriniz ve fatura bilgileriniz.",
    ),
    # portal pages
    "Portal sections": (
        "Rubriques du portail",
        "Bereiche des Portals",
        "Sezioni del portale",
        "Portal bölümleri",
    ),
    "Customer": ("Client", "Kunde", "Cliente", "Müşteri"),
    "Customer number": ("Numéro de client", "Kundennummer", "Codice cliente", "Müşteri numarası"),
    "Customer since": ("Client depuis le", "Kunde seit", "Cliente dal", "Müşteri olma tarihi"),
    "Contract partner": (
        "Partenaire contractuel",
        "Vertragspartner",
        "Controparte contrattuale",
        "Sözleşme tarafı",
    ),
    "Contacts": ("Contacts", "Ansprechpartner", "Contatti", "İletişim kişileri"),
    "Name": ("Nom", "Name", "Nome", "Ad"),
    "Role": ("Rôle", "Rolle", "Ruolo", "Rol"),
    "E-mail address": ("Adresse e-mail", "E-Mail-Adresse", "Indirizzo e-mail", "E-posta adresi"),
    "E-mail addresses": (
        "Adresses e-mail",
        "E-Mail-Adressen",
        "Indirizzi e-mail",
        "E-posta adresleri",
    ),
    "Full name": ("Nom complet", "Vollständiger Name", "Nome completo", "Ad soyad"),
    "To add or remove a contact, please ask %(tenant)s.": (
        "Pour ajouter ou retirer un contact, adressez-vous à %(tenant)s.",
        "Um einen Ansprechpartner hinzuzufügen oder zu entfernen, wenden Sie sich bitte an %(tenant)s.",
        "Per aggiungere o rimuovere un contatto, rivolgiti a %(tenant)s.",
        "Bir iletişim kişisi eklemek veya çıkarmak için lütfen %(tenant)s ile iletişime geçin.",
    ),
    "Welcome, %(name)s": (
        "Bienvenue, %(name)s",
        "Willkommen, %(name)s",
        "Benvenuto, %(name)s",
        "Hoş geldiniz, %(name)s",
    ),
    "This is %(tenant)s's customer portal for %(customer)s.": (
        "Ceci est le portail client de %(tenant)s pour %(customer)s.",
        "Dies ist das Kundenportal von %(tenant)s für %(customer)s.",
        "Questo è il portale clienti di %(tenant)s per %(customer)s.",
        "Bu, %(tenant)s şirketinin %(customer)s için müşteri portalıdır.",
    ),
    "Your account": ("Votre compte", "Ihr Konto", "Il tuo account", "Hesabınız"),
    "Your role": ("Votre rôle", "Ihre Rolle", "Il tuo ruolo", "Rolünüz"),
    "No customer account": (
        "Aucun compte client",
        "Kein Kundenkonto",
        "Nessun account cliente",
        "Müşteri hesabı yok",
    ),
    "You are signed in, but your login is not a contact of any customer of %(tenant)s.": (
        "Vous êtes connecté, mais votre identifiant n'est le contact d'aucun client de %(tenant)s.",
        "Sie sind angemeldet, aber Ihr Zugang ist bei keinem Kunden von %(tenant)s als Ansprechpartner hinterlegt.",
        "Hai effettuato l'accesso, ma il tuo utente non è contatto di nessun cliente di %(tenant)s.",
        "Oturum açtınız, ancak hesabınız %(tenant)s müşterilerinden hiçbirinin iletişim kişisi değil.",
    ),
    "Go to the back office": (
        "Aller au back-office",
        "Zur Verwaltung",
        "Vai al back office",
        "Yönetim paneline git",
    ),
    "Not available in this portal yet": (
        "Pas encore disponible dans ce portail",
        "In diesem Portal noch nicht verfügbar",
        "Non ancora disponibile in questo portale",
        "Bu portalda henüz kullanılamıyor",
    ),
    "%(tenant)s has not opened this part of the portal yet. Until it does, please contact %(tenant)s directly for anything you need here.": (
        "%(tenant)s n'a pas encore ouvert cette partie du portail. En attendant, contactez directement %(tenant)s pour tout ce dont vous avez besoin ici.",
        "%(tenant)s hat diesen Teil des Portals noch nicht freigeschaltet. Bis dahin wenden Sie sich bitte für alles, was Sie hier brauchen, direkt an %(tenant)s.",
        "%(tenant)s non ha ancora aperto questa parte del portale. Nel frattempo, per tutto ciò che ti serve qui rivolgiti direttamente a %(tenant)s.",
        "%(tenant)s portalın bu bölümünü henüz açmadı. O zamana kadar burada ihtiyacınız olan her şey için lütfen doğrudan %(tenant)s ile iletişime geçin.",
    ),
    "Back to the dashboard": (
        "Retour au tableau de bord",
        "Zurück zur Übersicht",
        "Torna al pannello",
        "Genel bakışa dön",
    ),
    "Back to the portal": (
        "Retour au portail",
        "Zurück zum Portal",
        "Torna al portale",
        "Portala dön",
    ),
    "Your login": ("Votre identifiant", "Ihr Zugang", "Il tuo accesso", "Oturum bilgileriniz"),
    "Password": ("Mot de passe", "Passwort", "Password", "Parola"),
    "Two-factor authentication": (
        "Authentification à deux facteurs",
        "Zwei-Faktor-Authentifizierung",
        "Autenticazione a due fattori",
        "İki adımlı doğrulama",
    ),
    "Language": ("Langue", "Sprache", "Lingua", "Dil"),
    "Change": ("Changer", "Ändern", "Cambia", "Değiştir"),
    "Log out": ("Se déconnecter", "Abmelden", "Esci", "Çıkış yap"),
    # errors
    "Page not found": (
        "Page introuvable",
        "Seite nicht gefunden",
        "Pagina non trovata",
        "Sayfa bulunamadı",
    ),
    "There is nothing at this address. Check the link, or go back to the start page.": (
        "Il n'y a rien à cette adresse. Vérifiez le lien ou revenez à la page d'accueil.",
        "Unter dieser Adresse gibt es nichts. Prüfen Sie den Link oder kehren Sie zur Startseite zurück.",
        "Non c'è nulla a questo indirizzo. Controlla il link o torna alla pagina iniziale.",
        "Bu adreste bir şey yok. Bağlantıyı kontrol edin veya başlangıç sayfasına dönün.",
    ),
    "Not allowed": ("Action non autorisée", "Nicht erlaubt", "Non consentito", "İzin verilmiyor"),
    "Your role does not allow this. Ask an account owner or your administrator if you need it.": (
        "Votre rôle ne le permet pas. Demandez au propriétaire du compte ou à votre administrateur si vous en avez besoin.",
        "Ihre Rolle erlaubt das nicht. Fragen Sie den Kontoinhaber oder Ihre Administration, wenn Sie es brauchen.",
        "Il tuo ruolo non lo consente. Se ti serve, chiedi al titolare dell'account o al tuo amministratore.",
        "Rolünüz buna izin vermiyor. Gerekiyorsa hesap sahibine veya yöneticinize başvurun.",
    ),
    "Bad request": (
        "Requête invalide",
        "Ungültige Anfrage",
        "Richiesta non valida",
        "Geçersiz istek",
    ),
    "The request could not be understood. Please go back and try again.": (
        "La requête n'a pas pu être comprise. Revenez en arrière et réessayez.",
        "Die Anfrage konnte nicht verstanden werden. Bitte gehen Sie zurück und versuchen Sie es erneut.",
        "Non è stato possibile interpretare la richiesta. Torna indietro e riprova.",
        "İstek anlaşılamadı. Lütfen geri dönüp tekrar deneyin.",
    ),
    "This account has no access to this portal.": (
        "Ce compte n'a pas accès à ce portail.",
        "Dieses Konto hat keinen Zugang zu diesem Portal.",
        "Questo account non ha accesso a questo portale.",
        "Bu hesabın bu portala erişimi yok.",
    ),
    # login page (ours, around allauth's)
    "Sign In": ("Connexion", "Anmelden", "Accedi", "Oturum aç"),
    "If you have not created an account yet, then please %(link)ssign up%(end_link)s first.": (
        "Si vous n'avez pas encore de compte, veuillez d'abord vous %(link)sinscrire%(end_link)s.",
        "Wenn Sie noch kein Konto haben, %(link)sregistrieren%(end_link)s Sie sich bitte zuerst.",
        "Se non hai ancora un account, %(link)sregistrati%(end_link)s prima.",
        "Henüz bir hesabınız yoksa lütfen önce %(link)skaydolun%(end_link)s.",
    ),
    "Sign in to the customer portal of %(tenant)s.": (
        "Connectez-vous au portail client de %(tenant)s.",
        "Melden Sie sich im Kundenportal von %(tenant)s an.",
        "Accedi al portale clienti di %(tenant)s.",
        "%(tenant)s müşteri portalında oturum açın.",
    ),
    "Sign in with a passkey": (
        "Se connecter avec une clé d'accès",
        "Mit einem Passkey anmelden",
        "Accedi con una passkey",
        "Geçiş anahtarıyla oturum aç",
    ),
    "Send me a sign-in code": (
        "M'envoyer un code de connexion",
        "Anmeldecode per E-Mail senden",
        "Inviami un codice di accesso",
        "Bana oturum açma kodu gönder",
    ),
    # back office
    "Kontor back office": (
        "Back-office Kontor",
        "Kontor-Verwaltung",
        "Back office Kontor",
        "Kontor yönetim paneli",
    ),
    "Back office": ("Back-office", "Verwaltung", "Back office", "Yönetim paneli"),
    "Branding": ("Identité visuelle", "Erscheinungsbild", "Immagine coordinata", "Marka görünümü"),
    "Language and currency": (
        "Langue et devise",
        "Sprache und Währung",
        "Lingua e valuta",
        "Dil ve para birimi",
    ),
    "Legal identity": ("Identité légale", "Rechtliche Angaben", "Dati legali", "Yasal kimlik"),
    "Documents and terms": (
        "Documents et conditions",
        "Dokumente und Bedingungen",
        "Documenti e condizioni",
        "Belgeler ve koşullar",
    ),
    "Access": ("Accès", "Zugang", "Accesso", "Erişim"),
    "Personal info": (
        "Informations personnelles",
        "Persönliche Angaben",
        "Dati personali",
        "Kişisel bilgiler",
    ),
    "Permissions": ("Autorisations", "Berechtigungen", "Autorizzazioni", "Yetkiler"),
    "Important dates": (
        "Dates importantes",
        "Wichtige Daten",
        "Date importanti",
        "Önemli tarihler",
    ),
    "This business requires two-factor authentication for staff. Please set it up to continue.": (
        "Cette entreprise exige l'authentification à deux facteurs pour son personnel. Veuillez l'activer pour continuer.",
        "Dieses Unternehmen verlangt für Mitarbeitende die Zwei-Faktor-Authentifizierung. Bitte richten Sie sie ein, um fortzufahren.",
        "Questa azienda richiede l'autenticazione a due fattori per il personale. Attivala per continuare.",
        "Bu işletme, çalışanları için iki adımlı doğrulama gerektiriyor. Devam etmek için lütfen etkinleştirin.",
    ),
    # roles
    "Support": ("Support", "Support", "Assistenza", "Destek"),
    "Manager": ("Responsable", "Manager", "Responsabile", "Yönetici"),
    "Owner": ("Propriétaire", "Inhaber", "Titolare", "Sahip"),
    "Member": ("Membre", "Mitglied", "Membro", "Üye"),
    "Account owner": (
        "Propriétaire du compte",
        "Kontoinhaber",
        "Titolare dell'account",
        "Hesap sahibi",
    ),
    # model fields
    "business": ("entreprise", "Unternehmen", "azienda", "işletme"),
    "businesses": ("entreprises", "Unternehmen", "aziende", "işletmeler"),
    "name": ("nom", "Name", "nome", "ad"),
    "customer number": ("numéro de client", "Kundennummer", "codice cliente", "müşteri numarası"),
    "document language": (
        "langue des documents",
        "Dokumentsprache",
        "lingua dei documenti",
        "belge dili",
    ),
    "Invoices and e-mails use this language; empty means the business's.": (
        "Les factures et e-mails utilisent cette langue ; vide, celle de l'entreprise.",
        "Rechnungen und E-Mails verwenden diese Sprache; leer bedeutet die des Unternehmens.",
        "Fatture ed e-mail usano questa lingua; se vuoto, quella dell'azienda.",
        "Faturalar ve e-postalar bu dili kullanır; boşsa işletmenin dili geçerlidir.",
    ),
    "created": ("créé le", "erstellt", "creato il", "oluşturulma"),
    "customer": ("client", "Kunde", "cliente", "müşteri"),
    "customers": ("clients", "Kunden", "clienti", "müşteriler"),
    "user": ("utilisateur", "Benutzer", "utente", "kullanıcı"),
    "users": ("utilisateurs", "Benutzer", "utenti", "kullanıcılar"),
    "role": ("rôle", "Rolle", "ruolo", "rol"),
    "active": ("actif", "aktiv", "attivo", "etkin"),
    "contact": ("contact", "Ansprechpartner", "contatto", "iletişim kişisi"),
    "contacts": ("contacts", "Ansprechpartner", "contatti", "iletişim kişileri"),
    "actor": ("auteur", "Handelnde Person", "autore", "işlemi yapan"),
    "action": ("action", "Aktion", "azione", "işlem"),
    "object type": ("type d'objet", "Objekttyp", "tipo di oggetto", "nesne türü"),
    "object id": ("identifiant de l'objet", "Objekt-ID", "ID oggetto", "nesne kimliği"),
    "object": ("objet", "Objekt", "oggetto", "nesne"),
    "before": ("avant", "vorher", "prima", "önce"),
    "after": ("après", "nachher", "dopo", "sonra"),
    "IP address": ("adresse IP", "IP-Adresse", "indirizzo IP", "IP adresi"),
    "time": ("date et heure", "Zeitpunkt", "data e ora", "zaman"),
    "audit entry": (
        "entrée du journal d'audit",
        "Protokolleintrag",
        "voce del registro di controllo",
        "denetim kaydı",
    ),
    "audit log": (
        "journal d'audit",
        "Änderungsprotokoll",
        "registro di controllo",
        "denetim günlüğü",
    ),
    "staff member": ("membre du personnel", "Mitarbeiter", "membro del personale", "çalışan"),
    "staff members": ("personnel", "Mitarbeitende", "personale", "çalışanlar"),
    "Enter a colour as #RRGGBB, for example #1f6feb.": (
        "Saisissez une couleur au format #RRGGBB, par exemple #1f6feb.",
        "Geben Sie eine Farbe als #RRGGBB ein, zum Beispiel #1f6feb.",
        "Inserisci un colore nel formato #RRGGBB, ad esempio #1f6feb.",
        "Rengi #RRGGBB biçiminde girin, örneğin #1f6feb.",
    ),
    "Use lower-case letters, digits and hyphens; it becomes part of the address.": (
        "Utilisez des minuscules, des chiffres et des tirets ; cela fera partie de l'adresse.",
        "Verwenden Sie Kleinbuchstaben, Ziffern und Bindestriche; es wird Teil der Adresse.",
        "Usa lettere minuscole, cifre e trattini; diventerà parte dell'indirizzo.",
        "Küçük harf, rakam ve tire kullanın; adresin bir parçası olur.",
    ),
    "This address is reserved.": (
        "Cette adresse est réservée.",
        "Diese Adresse ist reserviert.",
        "Questo indirizzo è riservato.",
        "Bu adres ayrılmış.",
    ),
    "address name": ("nom d'adresse", "Adressname", "nome dell'indirizzo", "adres adı"),
    "The portal is served at <address name>.<base domain>.": (
        "Le portail est servi à <nom d'adresse>.<domaine de base>.",
        "Das Portal ist unter <Adressname>.<Basisdomain> erreichbar.",
        "Il portale è raggiungibile su <nome dell'indirizzo>.<dominio base>.",
        "Portal <adres adı>.<temel alan adı> adresinde yayınlanır.",
    ),
    "logo": ("logo", "Logo", "logo", "logo"),
    "primary colour": ("couleur principale", "Hauptfarbe", "colore principale", "ana renk"),
    "default currency": (
        "devise par défaut",
        "Standardwährung",
        "valuta predefinita",
        "varsayılan para birimi",
    ),
    "language": ("langue", "Sprache", "lingua", "dil"),
    "time zone": ("fuseau horaire", "Zeitzone", "fuso orario", "saat dilimi"),
    "legal name": ("raison sociale", "Firmenname", "ragione sociale", "ticari unvan"),
    "address": ("adresse", "Adresse", "indirizzo", "adres"),
    "country": ("pays", "Land", "paese", "ülke"),
    "VAT number": ("N° de TVA intracommunautaire", "USt-IdNr.", "Partita IVA", "Vergi numarası"),
    "registration number": (
        "numéro d'immatriculation",
        "Registernummer",
        "numero di registrazione",
        "sicil numarası",
    ),
    "Commercial register, SIREN/SIRET, codice fiscale…": (
        "Registre du commerce, SIREN/SIRET, codice fiscale…",
        "Handelsregister, SIREN/SIRET, codice fiscale…",
        "Registro delle imprese, SIREN/SIRET, codice fiscale…",
        "Ticaret sicili, SIREN/SIRET, codice fiscale…",
    ),
    "account holder": (
        "titulaire du compte",
        "Kontoinhaber",
        "intestatario del conto",
        "hesap sahibi",
    ),
    "IBAN": ("IBAN", "IBAN", "IBAN", "IBAN"),
    "BIC": ("BIC", "BIC", "BIC", "BIC"),
    "invoice number format": (
        "format des numéros de facture",
        "Format der Rechnungsnummer",
        "formato del numero di fattura",
        "fatura numarası biçimi",
    ),
    "Placeholders: {year}, {number}.": (
        "Variables : {year}, {number}.",
        "Platzhalter: {year}, {number}.",
        "Segnaposto: {year}, {number}.",
        "Yer tutucular: {year}, {number}.",
    ),
    "payment terms (days)": (
        "conditions de paiement (jours)",
        "Zahlungsbedingungen (Tage)",
        "termini di pagamento (giorni)",
        "ödeme koşulları (gün)",
    ),
    "late-payment interest rate (%)": (
        "taux des pénalités de retard (%)",
        "Verzugszinssatz (%)",
        "tasso di interesse di mora (%)",
        "gecikme faizi oranı (%)",
    ),
    "customers may register themselves": (
        "les clients peuvent s'inscrire eux-mêmes",
        "Kunden dürfen sich selbst registrieren",
        "i clienti possono registrarsi da soli",
        "müşteriler kendileri kaydolabilir",
    ),
    "staff must use two-factor authentication": (
        "le personnel doit utiliser l'authentification à deux facteurs",
        "Mitarbeitende müssen die Zwei-Faktor-Authentifizierung nutzen",
        "il personale deve usare l'autenticazione a due fattori",
        "çalışanlar iki adımlı doğrulama kullanmalı",
    ),
    "host name": ("nom d'hôte", "Hostname", "nome host", "ana makine adı"),
    "For example billing.example.com, without port or scheme.": (
        "Par exemple billing.example.com, sans port ni protocole.",
        "Zum Beispiel billing.example.com, ohne Port oder Schema.",
        "Ad esempio billing.example.com, senza porta né schema.",
        "Örneğin billing.example.com; port veya şema olmadan.",
    ),
    "custom domain": (
        "domaine personnalisé",
        "eigene Domain",
        "dominio personalizzato",
        "özel alan adı",
    ),
    "custom domains": (
        "domaines personnalisés",
        "eigene Domains",
        "domini personalizzati",
        "özel alan adları",
    ),
    "e-mail address": ("adresse e-mail", "E-Mail-Adresse", "indirizzo e-mail", "e-posta adresi"),
    "full name": ("nom complet", "vollständiger Name", "nome completo", "ad soyad"),
    "joined": ("inscrit le", "registriert am", "iscritto il", "katılım tarihi"),
    "%(value)s is not an ISO 4217 currency code.": (
        "%(value)s n'est pas un code de devise ISO 4217.",
        "%(value)s ist kein ISO-4217-Währungscode.",
        "%(value)s non è un codice valuta ISO 4217.",
        "%(value)s bir ISO 4217 para birimi kodu değil.",
    ),
    "Business and staff": (
        "Entreprise et personnel",
        "Unternehmen und Mitarbeitende",
        "Azienda e personale",
        "İşletme ve çalışanlar",
    ),
    "Part of the portal's address: “acme” serves acme.example.com.": (
        "Partie de l'adresse du portail : « acme » donne acme.example.com.",
        "Teil der Portaladresse: „acme“ ergibt acme.example.com.",
        "Parte dell'indirizzo del portale: «acme» dà acme.example.com.",
        "Portal adresinin bir parçası: “acme”, acme.example.com adresini verir.",
    ),
    "Use only the placeholders {year} and {number}, e.g. INV-{year}-{number:06d}.": (
        "Utilisez uniquement les variables {year} et {number}, par ex. INV-{year}-{number:06d}.",
        "Verwenden Sie nur die Platzhalter {year} und {number}, z. B. INV-{year}-{number:06d}.",
        "Usa solo i segnaposto {year} e {number}, ad es. INV-{year}-{number:06d}.",
        "Yalnızca {year} ve {number} yer tutucularını kullanın, ör. INV-{year}-{number:06d}.",
    ),
    "The format must contain {number}.": (
        "Le format doit contenir {number}.",
        "Das Format muss {number} enthalten.",
        "Il formato deve contenere {number}.",
        "Biçim {number} içermelidir.",
    ),
    "audit entries": (
        "entrées du journal d'audit",
        "Protokolleinträge",
        "voci del registro di controllo",
        "denetim kayıtları",
    ),
    "This is the business's last active owner. Make someone else owner first.": (
        "C'est le dernier propriétaire actif de l'entreprise. Nommez d'abord quelqu'un d'autre propriétaire.",
        "Dies ist der letzte aktive Inhaber des Unternehmens. Machen Sie zuerst jemand anderen zum Inhaber.",
        "È l'ultimo titolare attivo dell'azienda. Nomina prima un altro titolare.",
        "Bu, işletmenin son etkin sahibi. Önce başka birini sahip yapın.",
    ),
    "%(value)s is not a known time zone.": (
        "%(value)s n'est pas un fuseau horaire connu.",
        "%(value)s ist keine bekannte Zeitzone.",
        "%(value)s non è un fuso orario noto.",
        "%(value)s bilinen bir saat dilimi değil.",
    ),
}


def fill() -> list[str]:
    missing = []
    root = Path(__file__).resolve().parent
    for index, lang in enumerate(LANGS):
        path = root / lang / "LC_MESSAGES" / "django.po"
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in T:
                message.string = T[key][index]
                message.flags.discard("fuzzy")
            elif not message.string:
                missing.append(f"{lang}: {key}")
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False)
    return missing


if __name__ == "__main__":
    for line in fill():
        print("untranslated:", line)
