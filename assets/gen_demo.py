#!/usr/bin/env python3
"""Generator for assets/demo.json -- the seed App Context keyset shown to new users.

The demo keyset models a mid-sized team chat / community app ("Driftwood"): a few
hundred users from many locales and scripts, ~55 channels (public, private, direct,
announcement, archived, empty) and ~1000 user->channel memberships with a realistic,
skewed distribution.

The output is fully deterministic (random.Random(20261127), no set iteration, stdlib
only, Python 3.11).  Regenerate with:

    python3 assets/gen_demo.py > assets/demo.json

The data is validated (ids, lengths, custom scalars, referential integrity, counts)
before anything is printed; an AssertionError means nothing was written.
"""

import json
import sys
import unicodedata
import uuid
from random import Random

rng = Random(20261127)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

_DE_MAP = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
           "ß": "ss", "ł": "l", "Ł": "L"}


def translit(s):
    """Latin-script name -> ascii lowercase [a-z0-9] slug part."""
    s = "".join(_DE_MAP.get(c, c) for c in s)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in s.lower() if c.isalnum())


def weighted(pairs):
    """pairs: list of (value, weight)."""
    vals = [p[0] for p in pairs]
    ws = [p[1] for p in pairs]
    return rng.choices(vals, weights=ws, k=1)[0]


def chance(p):
    return rng.random() < p


def uuid4():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hexstr(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def alnum(n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def timetoken(lo=17300000000000000, hi=17640000000000000):
    return rng.randrange(lo, hi)


# ---------------------------------------------------------------------------
# name pools
# ---------------------------------------------------------------------------
# Latin-script locales: first names as (name, gender); last names either a plain
# string or an (masculine, feminine) tuple.  Non-Latin locales carry explicit
# romanizations: (native, roman, gender) and (native, roman) / (m, m_roman, f, f_roman).

LOCALES = {
    "en": dict(
        weight=55, script="latin", lang=["en", "en-US", "en-GB"],
        tz=["America/New_York", "America/Los_Angeles", "America/Chicago",
            "Europe/London", "Australia/Sydney", "America/Toronto"],
        first=[(n, "m") for n in "James Michael David Daniel Ethan Noah Liam Oliver Ryan Chris Marcus Sam Tyler Owen".split()]
        + [(n, "f") for n in "Emily Olivia Sarah Jessica Emma Ava Chloe Hannah Megan Rachel Grace Lily Abigail Nora".split()],
        last="Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore Clark Walker Hall Young Wright Scott Green Baker Nguyen Patel O'Brien Murphy Hughes Okafor".split(),
        bios=["Coffee first, code second ☕", "Ask me about Kubernetes.", "Dog person. Runner. Occasional writer.",
              "Building things that ship.", "Previously @ a startup you haven't heard of."],
    ),
    "es": dict(
        weight=22, script="latin", lang=["es", "es-MX", "es-ES"],
        tz=["Europe/Madrid", "America/Mexico_City", "America/Bogota", "America/Argentina/Buenos_Aires"],
        first=[(n, "m") for n in "José Martín Álvaro Iñigo Sergio Andrés Javier Raúl Tomás".split()]
        + [(n, "f") for n in "María Sofía Lucía Begoña Inés Valentina Camila Ximena Mónica".split()],
        last="García Fernández López Núñez Pérez Sánchez Ortega Ruiz Muñoz Jiménez Castillo Vargas Domínguez Peña".split(),
        bios=["Full-stack en Madrid 🇪🇸", "Siempre aprendiendo algo nuevo.", "Café, código y fútbol ⚽"],
    ),
    "de": dict(
        weight=20, script="latin", lang=["de", "de-AT", "de-CH"],
        tz=["Europe/Berlin", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich"],
        first=[(n, "m") for n in "Jürgen Björn Jörg Günther Sören Lukas Felix Maximilian Jonas".split()]
        + [(n, "f") for n in "Käthe Lena Anneliese Hanna Marie Sophie Jana Lea Jülide".split()],
        last="Müller Schröder Weiß Fuchs Bäcker Krüger Hoffmann Groß Schäfer Köhler Wagner Becker Schmitz Zimmermann Hölzl Jäger".split(),
        bios=["Backend-Entwickler aus Köln. Grüße!", "Fährt Rad bei jedem Wetter 🚲", "Datenschutz ist kein Feature, sondern Pflicht."],
    ),
    "fr": dict(
        weight=16, script="latin", lang=["fr", "fr-CA", "fr-BE"],
        tz=["Europe/Paris", "Europe/Paris", "America/Toronto", "Europe/Brussels"],
        first=[(n, "m") for n in "François Jérôme Noël Théo Raphaël Loïc Hugo Benoît".split()]
        + [(n, "f") for n in "Éloïse Hélène Zoé Anaïs Gaëlle Léa Chloé Camille Maëlys".split()],
        last="Lefèvre Dubois Mercier Girard Bérenger Faure Rousseau Chevalier Lemaître Durand Moreau Gauthier".split(),
        bios=["Design produit à Lyon. Fan de belles typos.", "Toujours partant pour un café ☕", "« Simplicité d'abord »"],
    ),
    "pl": dict(
        weight=18, script="latin", lang=["pl"],
        tz=["Europe/Warsaw"],
        first=[(n, "m") for n in "Łukasz Paweł Michał Grzegorz Tomasz Piotr Jakub Wojciech".split()]
        + [(n, "f") for n in "Małgorzata Agnieszka Zofia Katarzyna Joanna Aleksandra Magdalena Ewa".split()],
        last=[("Wiśniewski", "Wiśniewska"), "Kowalczyk", "Wójcik", ("Zieliński", "Zielińska"),
              ("Dąbrowski", "Dąbrowska"), ("Szymański", "Szymańska"), ("Kamiński", "Kamińska"),
              ("Jankowski", "Jankowska"), ("Lewandowski", "Lewandowska"), "Woźniak", "Krawczyk",
              "Mazur", ("Grabowski", "Grabowska"), "Pietrzak", ("Gąsiorowski", "Gąsiorowska")],
        bios=["Kraków 🐉 Góry, rower i Rust.", "Zawsze chętnie pomogę!", "Kawa, kod i koty 🐈"],
    ),
    "pt": dict(
        weight=10, script="latin", lang=["pt-BR", "pt-PT"],
        tz=["America/Sao_Paulo", "America/Sao_Paulo", "Europe/Lisbon"],
        first=[(n, "m") for n in "João Pedro Gustavo Thiago Lucas".split()]
        + [(n, "f") for n in "Ana Beatriz Júlia Larissa Fernanda".split()],
        last="Silva Souza Oliveira Conceição Araújo Gonçalves Rodrigues Pereira".split(),
        bios=["Dados, café e código em São Paulo.", "Bora codar! 🇧🇷"],
    ),
    "uk": dict(
        weight=12, script="cyrillic", lang=["uk"], latin_prob=0.25,
        tz=["Europe/Kyiv"],
        first=[("Олександр", "oleksandr", "m"), ("Богдан", "bohdan", "m"), ("Тарас", "taras", "m"),
               ("Дмитро", "dmytro", "m"), ("Андрій", "andrii", "m"), ("Оксана", "oksana", "f"),
               ("Ірина", "iryna", "f"), ("Юлія", "yuliia", "f"), ("Наталія", "nataliia", "f"),
               ("Софія", "sofiia", "f")],
        last=[("Шевченко", "shevchenko"), ("Коваленко", "kovalenko"), ("Бондаренко", "bondarenko"),
              ("Ткаченко", "tkachenko"), ("Кравченко", "kravchenko"), ("Мельник", "melnyk"),
              ("Бойко", "boiko"), ("Іваненко", "ivanenko"), ("Лисенко", "lysenko"), ("Савчук", "savchuk")],
        bios=["Фронтенд з Києва 💙💛", "Люблю каву та чистий код."],
    ),
    "ru": dict(
        weight=10, script="cyrillic", lang=["ru"], latin_prob=0.3,
        tz=["Europe/Moscow", "Asia/Yekaterinburg", "Europe/Riga", "Asia/Tbilisi"],
        first=[("Дмитрий", "dmitry", "m"), ("Сергей", "sergey", "m"), ("Алексей", "alexey", "m"),
               ("Иван", "ivan", "m"), ("Михаил", "mikhail", "m"), ("Анна", "anna", "f"),
               ("Екатерина", "ekaterina", "f"), ("Мария", "maria", "f"), ("Ольга", "olga", "f"),
               ("Татьяна", "tatiana", "f")],
        last=[("Смирнов", "smirnov", "Смирнова", "smirnova"), ("Иванов", "ivanov", "Иванова", "ivanova"),
              ("Кузнецов", "kuznetsov", "Кузнецова", "kuznetsova"), ("Попов", "popov", "Попова", "popova"),
              ("Соколов", "sokolov", "Соколова", "sokolova"), ("Лебедев", "lebedev", "Лебедева", "lebedeva"),
              ("Морозов", "morozov", "Морозова", "morozova"), ("Волков", "volkov", "Волкова", "volkova"),
              ("Новиков", "novikov", "Новикова", "novikova"), ("Орлов", "orlov", "Орлова", "orlova")],
        bios=["Пишу на Go и немного на Rust.", "Всегда на связи 🙂"],
    ),
    "ja": dict(
        weight=16, script="cjk", order="family", sep=" ", lang=["ja"], latin_prob=0.25,
        tz=["Asia/Tokyo"],
        first=[("陽翔", "haruto", "m"), ("蓮", "ren", "m"), ("健太", "kenta", "m"), ("大輝", "daiki", "m"),
               ("翔", "sho", "m"), ("美咲", "misaki", "f"), ("陽菜", "hina", "f"), ("結衣", "yui", "f"),
               ("さくら", "sakura", "f"), ("愛子", "aiko", "f")],
        last=[("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
              ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
              ("小林", "kobayashi"), ("加藤", "kato")],
        bios=["京都在住のエンジニアです。よろしくお願いします！", "ラーメンとTypeScriptが好き 🍜", "デザインとアクセシビリティ担当。"],
    ),
    "zh": dict(
        weight=16, script="cjk", order="family", sep="", lang=["zh-CN", "zh-TW", "zh-Hans"], latin_prob=0.3,
        tz=["Asia/Shanghai", "Asia/Shanghai", "Asia/Taipei", "Asia/Singapore", "Asia/Hong_Kong"],
        first=[("伟", "wei", "m"), ("磊", "lei", "m"), ("浩然", "haoran", "m"), ("子轩", "zixuan", "m"),
               ("俊杰", "junjie", "m"), ("芳", "fang", "f"), ("娜", "na", "f"), ("静", "jing", "f"),
               ("秀英", "xiuying", "f"), ("雨桐", "yutong", "f"), ("子涵", "zihan", "f")],
        last=[("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
              ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("周", "zhou"), ("吴", "wu")],
        bios=["后端开发，喜欢分布式系统。", "在上海写代码 🏙️", "产品经理，欢迎交流！"],
    ),
    "ko": dict(
        weight=12, script="cjk", order="family", sep="", lang=["ko"], latin_prob=0.3,
        tz=["Asia/Seoul"],
        first=[("민준", "minjun", "m"), ("도윤", "doyun", "m"), ("예준", "yejun", "m"), ("지호", "jiho", "m"),
               ("서연", "seoyeon", "f"), ("지우", "jiwoo", "f"), ("하은", "haeun", "f"), ("수아", "sua", "f")],
        last=[("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"),
              ("강", "kang"), ("조", "cho"), ("윤", "yoon")],
        bios=["서울에서 iOS 개발하고 있어요 📱", "커피와 코드 ☕"],
    ),
    "ar": dict(
        weight=12, script="arabic", lang=["ar"], latin_prob=0.35,
        tz=["Asia/Dubai", "Africa/Cairo", "Asia/Riyadh", "Asia/Amman", "Africa/Casablanca"],
        first=[("أحمد", "ahmed", "m"), ("محمد", "mohammed", "m"), ("يوسف", "youssef", "m"), ("عمر", "omar", "m"),
               ("خالد", "khaled", "m"), ("فاطمة", "fatima", "f"), ("ليلى", "layla", "f"), ("مريم", "maryam", "f"),
               ("نور", "nour", "f"), ("سلمى", "salma", "f")],
        last=[("الحسن", "alhassan"), ("العلي", "alali"), ("المنصور", "almansour"), ("حداد", "haddad"),
              ("خوري", "khoury"), ("السيد", "elsayed"), ("عبدالله", "abdullah"), ("النجار", "alnajjar")],
        bios=["تطوير البرمجيات من دبي", "أحب التصميم والقهوة ☕"],
    ),
    "he": dict(
        weight=8, script="hebrew", lang=["he"], latin_prob=0.35,
        tz=["Asia/Jerusalem"],
        first=[("יונתן", "yonatan", "m"), ("איתי", "itai", "m"), ("אורי", "ori", "m"), ("דניאל", "daniel", "m"),
               ("נועה", "noa", "f"), ("תמר", "tamar", "f"), ("מאיה", "maya", "f"), ("שירה", "shira", "f")],
        last=[("כהן", "cohen"), ("לוי", "levi"), ("מזרחי", "mizrahi"), ("פרץ", "peretz"),
              ("ביטון", "biton"), ("אברהם", "avraham"), ("פרידמן", "friedman"), ("שפירא", "shapira")],
        bios=["פיתוח פולסטאק מתל אביב", "תמיד שמח לעזור 🙂"],
    ),
    "hi": dict(
        weight=14, script="devanagari", lang=["hi", "en-IN"], latin_prob=0.45,
        tz=["Asia/Kolkata", "Asia/Kolkata", "Asia/Kolkata", "Asia/Kathmandu"],
        first=[("राहुल", "rahul", "m"), ("अर्जुन", "arjun", "m"), ("विक्रम", "vikram", "m"), ("आदित्य", "aditya", "m"),
               ("रोहन", "rohan", "m"), ("प्रिया", "priya", "f"), ("अनन्या", "ananya", "f"), ("दीपिका", "deepika", "f"),
               ("स्नेहा", "sneha", "f"), ("कविता", "kavita", "f")],
        last=[("शर्मा", "sharma"), ("वर्मा", "verma"), ("पटेल", "patel"), ("गुप्ता", "gupta"),
              ("सिंह", "singh"), ("रेड्डी", "reddy"), ("अय्यर", "iyer"), ("जोशी", "joshi")],
        bios=["बेंगलुरु से डेवलपर 👋", "Open source enthusiast. चाय > कॉफ़ी ☕"],
    ),
}

UTC_OFFSET = {
    "America/New_York": -5, "America/Los_Angeles": -8, "America/Chicago": -6, "Europe/London": 0,
    "Australia/Sydney": 10, "America/Toronto": -5, "Europe/Madrid": 1, "America/Mexico_City": -6,
    "America/Bogota": -5, "America/Argentina/Buenos_Aires": -3, "Europe/Berlin": 1, "Europe/Vienna": 1,
    "Europe/Zurich": 1, "Europe/Paris": 1, "Europe/Brussels": 1, "Europe/Warsaw": 1,
    "America/Sao_Paulo": -3, "Europe/Lisbon": 0, "Europe/Kyiv": 2, "Europe/Moscow": 3,
    "Asia/Yekaterinburg": 5, "Europe/Riga": 2, "Asia/Tbilisi": 4, "Asia/Tokyo": 9, "Asia/Shanghai": 8,
    "Asia/Taipei": 8, "Asia/Singapore": 8, "Asia/Hong_Kong": 8, "Asia/Seoul": 9, "Asia/Dubai": 4,
    "Africa/Cairo": 2, "Asia/Riyadh": 3, "Asia/Amman": 3, "Africa/Casablanca": 1,
    "Asia/Jerusalem": 2, "Asia/Kolkata": 5.5, "Asia/Kathmandu": 5.75,
}

TITLES = ["Backend Engineer", "Senior Frontend Engineer", "Product Designer", "Support Specialist",
          "Engineering Manager", "Data Scientist", "QA Engineer", "Developer Advocate", "Account Executive",
          "Technical Writer", "Site Reliability Engineer", "Community Manager", "Head of Product",
          "iOS Engineer", "Android Engineer", "Recruiter", "Marketing Lead", "Staff Engineer", "Intern",
          "Customer Success Manager", "Security Engineer", "UX Researcher"]
DEPARTMENTS = ["Engineering", "Engineering", "Engineering", "Design", "Product", "Support", "Sales",
               "Marketing", "People", "Finance", "Data", "Security", "Community"]
COLORS = ["blue", "green", "teal", "purple", "orange", "red", "black", "yellow", "pink", "grün", "bleu", "#ff6b6b"]
PRONOUNS = ["she/her", "he/him", "they/them", "she/they", "he/they"]

COMPANY_DOMAINS = ["driftwood.example.com", "driftwood.example.com", "driftwood.example.com", "eu.driftwood.example.com"]
PERSONAL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.org", "inbox.example.net"]


def make_person(code):
    loc = LOCALES[code]
    first = rng.choice(loc["first"])
    gender = first[-1]
    last = rng.choice(loc["last"])
    if loc["script"] == "latin":
        fn = first[0]
        if isinstance(last, tuple):
            ln = last[0] if gender == "m" else last[1]
        else:
            ln = last
        if code == "es" and chance(0.25):
            second = rng.choice(loc["last"])
            if second != ln:
                ln = f"{ln} {second}"
        fr, lr = translit(fn), translit(ln.split()[0])
        native = f"{fn} {ln}"
        latin = native
    else:
        fn, fr = first[0], first[1]
        if len(last) == 4:
            ln, lr = (last[0], last[1]) if gender == "m" else (last[2], last[3])
        else:
            ln, lr = last
        if loc.get("order") == "family":
            native = f"{ln}{loc['sep']}{fn}"
        else:
            native = f"{fn} {ln}"
        latin = f"{fr.capitalize()} {lr.capitalize()}"
    # display name
    roll = rng.random()
    if loc["script"] != "latin" and roll < loc.get("latin_prob", 0):
        name = latin
    elif loc["script"] != "latin" and roll < loc.get("latin_prob", 0) + 0.06:
        name = f"{latin} ({native})"
    elif roll > 0.95:
        name = fn  # first name only
    else:
        name = native
    return dict(code=code, first=fn, fr=fr, lr=lr, name=name, gender=gender)


def make_email(p):
    if not p["fr"] or not p["lr"]:
        return None
    pattern = weighted([("fl", 50), ("f_l", 8), ("fi", 18), ("fn", 10), ("fd", 14)])
    f, l = p["fr"], p["lr"]
    local = {"fl": f"{f}.{l}", "f_l": f"{f}_{l}", "fi": f"{f[0]}{l}", "fn": f,
             "fd": f"{f}.{l}{rng.randint(1, 99)}"}[pattern]
    domain = rng.choice(COMPANY_DOMAINS) if chance(0.65) else rng.choice(PERSONAL_DOMAINS)
    return f"{local}@{domain}"


def make_external_id():
    kind = weighted([("emp", 4), ("okta", 3), ("slack", 2), ("hris", 1)])
    if kind == "emp":
        return f"EMP-{rng.randint(1000, 99999):06d}"
    if kind == "okta":
        return "00u" + alnum(17, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    if kind == "slack":
        return "U0" + alnum(9, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return f"hris|{rng.randint(100000, 999999)}"


def make_profile_url(slug):
    kind = weighted([("cdn", 5), ("sized", 3), ("hash", 2)])
    if kind == "cdn":
        return f"https://cdn.driftwood.example.com/avatars/{hexstr(24)}.png"
    if kind == "sized":
        return f"https://images.example.net/avatars/{slug}.jpg?s=256"
    return f"https://avatars.example.org/avatars/{hexstr(32)}?d=identicon"


def make_user_custom(p):
    loc = LOCALES[p["code"]]
    c = {}
    tz = rng.choice(loc["tz"])
    if chance(0.6):
        c["tier"] = weighted([("free", 45), ("pro", 30), ("gold", 15), ("platinum", 6), ("staff", 4)])
    if chance(0.55):
        c["karma"] = weighted([(0, 1), (-rng.randint(1, 40), 1), (int(rng.lognormvariate(4.5, 1.4)), 18)])
    if chance(0.35):
        c["rating"] = round(rng.uniform(2.5, 5.0), 1)
    if chance(0.5):
        c["verified"] = chance(0.7)
    if chance(0.7):
        c["timezone"] = tz
    if chance(0.7):
        c["lang"] = rng.choice(loc["lang"])
    if chance(0.3):
        c["title"] = rng.choice(TITLES)
    if chance(0.3):
        c["department"] = rng.choice(DEPARTMENTS)
    if chance(0.25):
        c["startYear"] = rng.randint(2014, 2025)
    if chance(0.3):
        c["darkMode"] = chance(0.6)
    if chance(0.12):
        c["employment-status"] = weighted([("full-time", 6), ("part-time", 1), ("contractor", 2), ("intern", 1)])
    if chance(0.08):
        c["favorite color"] = rng.choice(COLORS)
    if chance(0.15):
        c["pronouns"] = rng.choice(PRONOUNS)
    if chance(0.1):
        c["2fa-enabled"] = chance(0.8)
    if chance(0.1):
        c["hoursPerWeek"] = rng.choice([40, 37.5, 32, 20, 38.5, 35])
    if chance(0.12):
        c["utcOffset"] = UTC_OFFSET[tz]
    if chance(0.1):
        c["bio"] = rng.choice(loc["bios"])
    if chance(0.12):
        c["loginCount"] = int(rng.lognormvariate(5.5, 1.6))
    if chance(0.08):
        c["lastSeenTT"] = timetoken()
    if not c:
        c["lang"] = rng.choice(loc["lang"])
    return c


# ---------------------------------------------------------------------------
# users
# ---------------------------------------------------------------------------

users = []
user_ids = {}


def add_user(uid, name=None, external_id=None, profile_url=None, email=None, status=None, utype=None,
             custom=None, locale=None):
    assert uid not in user_ids, uid
    rec = {"id": uid, "name": name, "externalId": external_id, "profileUrl": profile_url,
           "email": email, "status": status, "type": utype, "custom": custom}
    user_ids[uid] = dict(locale=locale, rec=rec)
    users.append(rec)
    return rec


# Hand-written accounts: admins, bots, edge cases a real workspace accumulates.
add_user("user-admin", "Workspace Admin", "EMP-000001", "https://cdn.driftwood.example.com/avatars/admin.png",
         "admin@driftwood.example.com", "active", "admin",
         {"tier": "staff", "verified": True, "timezone": "Europe/London", "lang": "en", "department": "IT",
          "2fa-enabled": True, "loginCount": 18211}, locale="en")
add_user("user-community-team", "Community Mod Team 🛡️", None,
         "https://cdn.driftwood.example.com/avatars/mod-team.png", "mods@driftwood.example.com", "active",
         "moderator", {"tier": "staff", "shared": True, "members": 6, "escalationSlaHours": 4.5}, locale="en")
add_user("user-bot-standup", "Standup Bot", "app-standup", None, None, "active", "bot",
         {"botKind": "scheduler", "version": "2.4.1", "enabled": True, "intervalMinutes": 1440,
          "owner": "user-admin"})
add_user("user-bot-deploy", "Deploy Bot 🚀", "app-deploy", "https://cdn.driftwood.example.com/avatars/bot-deploy.png",
         None, "active", "bot", {"botKind": "ci", "version": "0.19.0", "enabled": True, "successRate": 0.987})
add_user("user-bot-github", "GitHub", "app-github", "https://cdn.driftwood.example.com/avatars/github.png", None,
         "active", "bot", {"botKind": "integration", "scopes": "repo,read:org", "enabled": True})
add_user("user-bot-welcome", "Welcome Bot 👋", "app-welcome", None, None, "active", "bot",
         {"botKind": "greeter", "enabled": True, "messagesSent": 4312, "template": "Welcome to Driftwood, {name}!"})
add_user("user-bot-pagerduty", "PagerDuty", "app-pagerduty", None, None, "inactive", "bot",
         {"botKind": "alerts", "enabled": False, "disabledReason": "migrated to Opsgenie"})
add_user("user-maja-nowak", "Maja 🌸 Nowak", "EMP-004411", "https://images.example.net/avatars/user-maja-nowak.jpg?s=256",
         "maja.nowak@driftwood.example.com", "active", "moderator",
         {"tier": "gold", "karma": 1520, "rating": 4.7, "verified": True, "timezone": "Europe/Warsaw", "lang": "pl"},
         locale="pl")
add_user("user-tom-hughes", "Tom ⚡ Hughes", "EMP-002093", None, "tom.hughes@driftwood.example.com", "active",
         "member", {"tier": "pro", "karma": 310, "favorite color": "yellow", "darkMode": True}, locale="en")
add_user("user-jen-okafor", "Jen Okafor (OOO until Mon 🏖️)", "EMP-003317",
         "https://cdn.driftwood.example.com/avatars/9c1e44d07a2b3f5e6d8a0b1c.png",
         "jen.okafor@driftwood.example.com", "away", "member",
         {"employment-status": "full-time", "timezone": "America/New_York", "oooUntil": "2025-12-01",
          "utcOffset": -5}, locale="en")
add_user("user-zoë", "Zoë 🦊", None, None, "zoe.berenger@example.org", "active", "member",
         {"lang": "fr", "pronouns": "she/her", "favorite color": "bleu"}, locale="fr")
add_user("user-siobhan-osullivan", "Siobhán O'Sullivan", "EMP-005120", None,
         "siobhan.osullivan@driftwood.example.com", "active", "member",
         {"timezone": "Europe/Dublin", "lang": "ga", "karma": 87}, locale="en")
add_user("user-kasia-nowicka", 'Katarzyna "Kasia" Nowicka', None, None, "kasia@example.com", "active", "member",
         {"nickname": "Kasia", "lang": "pl", "verified": False}, locale="pl")
add_user("user-rami-khoury", "Rami (رامي) Khoury", "EMP-006630", None, "rami.khoury@driftwood.example.com",
         "active", "member", {"timezone": "Asia/Amman", "lang": "ar", "title": "Android Engineer"}, locale="ar")
add_user("user-maria-de-los-angeles", "María de los Ángeles Fernández-Gutiérrez y Rodríguez de la Fuente",
         "EMP-007002", None, "mangeles.fernandez@driftwood.example.com", "active", "member",
         {"lang": "es-ES", "timezone": "Europe/Madrid", "title": "Customer Success Manager", "startYear": 2019},
         locale="es")
add_user("user-j.smith", "J. Smith", "legacy-00231", None, "j.smith@example.net", "inactive", "member",
         {"importedFrom": "legacy-forum", "legacyPosts": 2203}, locale="en")
add_user("user_legacy_0042", "legacy_0042", "legacy-00042", None, None, "inactive", None,
         {"importedFrom": "legacy-forum", "legacyPosts": 12, "migrated": False}, locale="en")
add_user("user-sso-okta-00u9z8y7x6w5v4u3t2s1r0-driftwood-example-com", "Priya Venkataraman-Iyer",
         "00u9z8y7x6w5v4u3t2s1r0", None, "priya.venkataraman@driftwood.example.com", "active", "admin",
         {"sso": "okta", "department": "Security", "2fa-enabled": True, "timezone": "Asia/Kolkata", "utcOffset": 5.5},
         locale="hi")
add_user("user-guest-4821", "Guest 4821", None, None, None, "active", "guest", None, locale="en")
add_user("user-guest-0193", "Guest 0193", None, None, None, "inactive", "guest", {"invitedBy": "user-maja-nowak"},
         locale="en")
add_user("user-spammer-1337", "Free Crypto 💰💰💰", None, None, "promo@example.net", "banned", None,
         {"banReason": "spam", "bannedAt": 17311234567890123, "strikes": 3, "appealed": False})
add_user("user-deleted-7f3a", "Deleted User", None, None, None, "inactive", None, None)
ANON_ID = add_user(uuid4())["id"]  # anonymous device identity: nothing but an id
add_user("user-test-account", "Test Account (do not delete)", None, None, "qa+test@driftwood.example.com",
         None, None, {}, locale="en")

SPECIAL_USERS = [u["id"] for u in users]

# Generated population.
codes = list(LOCALES)
plan = [code for code in codes for _ in range(LOCALES[code]["weight"])]
rng.shuffle(plan)

for code in plan:
    p = make_person(code)
    if chance(0.12):
        uid = uuid4()
    else:
        style = weighted([("dash", 70), ("dot", 10), ("initial", 10), ("num", 10)])
        base = {"dash": f"user-{p['fr']}-{p['lr']}", "dot": f"user-{p['fr']}.{p['lr']}",
                "initial": f"user-{p['fr'][0]}{p['lr']}", "num": f"user-{p['fr']}{rng.randint(1, 999)}"}[style]
        uid = base
        n = 2
        while uid in user_ids:
            uid = f"{base}-{n}"
            n += 1
    name = p["name"] if not chance(0.02) else None
    status = weighted([("active", 70), ("away", 8), ("inactive", 9), ("banned", 2), (None, 11)])
    utype = weighted([("member", 65), ("moderator", 6), ("admin", 2), ("guest", 8), (None, 19)])
    email = make_email(p) if chance(0.88) else None
    ext = make_external_id() if chance(0.65) else None
    slug = uid if uid.startswith("user-") else f"user-{p['fr']}"
    profile = make_profile_url(slug) if chance(0.78) else None
    roll = rng.random()
    if roll < 0.10:
        custom = None
    elif roll < 0.13:
        custom = {}
    else:
        custom = make_user_custom(p)
    add_user(uid, name, ext, profile, email, status, utype, custom, locale=code)

# ---------------------------------------------------------------------------
# channels
# ---------------------------------------------------------------------------
# (id, name, description, status, type, custom, target size, locale affinity)

LONG_DESC = (
    "Welcome to #support-emea! This channel is the first line for customer escalations coming from "
    "Europe, the Middle East and Africa. Before posting, please check the runbook pinned at the top "
    "and search recent threads -- most questions about billing, SSO and data residency have been "
    "answered before.\n\nWhen you do post: include the ticket number, the customer's plan, the region "
    "and a one-line summary. Tag @support-oncall only for P1/P2 issues. Business hours are "
    "08:00-18:00 CET, Monday to Friday; outside those hours the APAC and AMER teams cover. "
    "Please keep customer PII out of this channel (use the ticket link instead)."
)

CHANNELS = [
    ("general", "General", "Company-wide announcements and work-based matters", "active", "public",
     {"topic": "Say hi 👋", "maxMembers": 5000, "retentionDays": 365, "readOnly": False, "pinnedCount": 7},
     0.94, None),
    ("announcements", "📣 Announcements", "Official announcements from the Driftwood team. Read-only.", "active",
     "announcement", {"topic": "Release notes & company news", "readOnly": True, "retentionDays": 730,
                      "postingRole": "admin"}, 0.66, None),
    ("random", "random", "Non-work banter and water cooler conversation", "active", "public",
     {"topic": "Anything goes (within the CoC)", "slowModeSeconds": 0, "nsfw": False}, 0.5, None),
    ("introductions", "Introductions", "New here? Tell us who you are and what you're working on.", "active",
     "public", {"topic": "Welcome!", "autoJoin": True, "maxMembers": 5000}, 0.3, None),
    ("watercooler", "Watercooler ☕", None, "active", "public", None, 0.18, None),
    ("eng", "Engineering", "All of engineering. Cross-team questions, RFCs, architecture discussions.", "active",
     "public", {"topic": "RFC-112: move to event sourcing?", "retentionDays": 180, "color": "#4A90E2"}, 60, None),
    ("eng.backend", "Backend", "APIs, databases, queues and everything server-side.", "active", "public",
     {"topic": "Postgres 16 upgrade this Thursday", "maxMembers": 500, "retentionDays": 30.5, "readOnly": False},
     38, None),
    ("eng.frontend", "Frontend", "Web client, design system, accessibility.", "active", "public",
     {"topic": "React 19 migration tracker", "maxMembers": 500, "framework": "react"}, 30, None),
    ("eng.mobile", "Mobile", "iOS and Android apps", "active", "public",
     {"platforms": "ios,android", "minIosVersion": 16.4, "minAndroidSdk": 26}, 22, ["ko", "ja"]),
    ("eng.infra", "Infrastructure", "Kubernetes, Terraform, CI runners, cost.", "active", "public",
     {"topic": "Cluster upgrade to 1.31 — freeze Fri", "cloud": "multi", "monthlyBudgetUsd": 48250.75}, 20, None),
    ("eng.oncall", "On-call 🚨", "Pages, incidents and hand-offs. Keep it short.", "active", "private",
     {"rotation": "weekly", "escalationMinutes": 15, "sla-hours": 0.25, "readOnly": False}, 16, None),
    ("eng.releases", "Releases", "Automated release notes from the deploy pipeline.", "active", "announcement",
     {"readOnly": True, "source": "deploy-bot", "lastVersion": "4.18.2"}, 45, None),
    ("eng.code-review", "Code review", "Request reviews here. Link the PR, describe the risk.", "active", "public",
     {"slaHours": 24, "autoAssign": True}, 28, None),
    ("eng.legacy-php", "Legacy PHP (read-only)", "The old forum codebase. Archived after the 2023 rewrite.",
     "archived", "public", {"readOnly": True, "archivedAt": 17000000000000000}, 0, None),
    ("design", "Design", "Product design, brand, illustration.", "active", "public",
     {"topic": "Figma library v3 is live", "tool": "figma"}, 24, ["fr"]),
    ("design.critique", "Design critique", "Share work in progress and get feedback. Be kind, be specific.",
     "active", "public", {"sessionDay": "Wednesday", "sessionHourUtc": 15}, 14, ["fr"]),
    ("product", "Product", "Roadmap discussions, specs, customer insights.", "active", "public",
     {"topic": "Q1 planning", "color": "#7B61FF"}, 30, None),
    ("product.roadmap", "Roadmap (leads)", "Confidential roadmap drafts for product & eng leads.", "active",
     "private", {"confidential": True, "maxMembers": 25}, 11, None),
    ("data-science", "Data science", "Models, experiments, dashboards.", "active", "public",
     {"topic": "A/B test: onboarding v2 (+3.2% activation)", "notebookHost": "jupyter"}, 15, ["zh", "hi"]),
    ("qa", "QA", None, "active", "public", {"testRunPassRate": 0.962, "flakyTests": 14}, 12, None),
    ("security", "Security", "Vulnerability reports and security reviews. Do not post secrets.", "active",
     "private", {"confidential": True, "owner team": "security", "pgpRequired": False}, 9, None),
    ("support", "Support", "Customer support — all regions", "active", "public",
     {"topic": "Queue: 37 open", "openTickets": 37, "avgFirstResponseMin": 42.5}, 40, None),
    ("support-emea", "Support EMEA", LONG_DESC, "active", "public",
     {"region": "emea", "businessHours": "08:00-18:00 CET", "sla-hours": 4, "escalate": True},
     26, ["de", "fr", "pl", "es", "uk", "ar", "he"]),
    ("support-apac", "Support APAC", "Customer escalations for Asia-Pacific.", "active", "public",
     {"region": "apac", "sla-hours": 6}, 18, ["ja", "zh", "ko", "hi"]),
    ("support-amer", "Support AMER", "Customer escalations for the Americas.", "active", "public",
     {"region": "amer", "sla-hours": 4}, 18, ["en", "es", "pt"]),
    ("sales", "Sales", "Pipeline, wins, and questions from the field.", "active", "public",
     {"quarterTargetUsd": 2400000, "attainment": 0.87}, 20, None),
    ("sales.deals", "Deal desk", "Pricing approvals and non-standard terms.", "active", "private",
     {"confidential": True, "approvalThresholdUsd": 50000}, 8, None),
    ("marketing", "Marketing", "Campaigns, content calendar, launches.", "active", "public",
     {"topic": "Launch week: Nov 17–21"}, 18, None),
    ("marketing.social", "Social media", None, "active", "public", None, 9, None),
    ("people-ops", "People Ops", "HR questions, benefits, onboarding.", "active", "private",
     {"confidential": True, "contact": "people@driftwood.example.com"}, 7, None),
    ("leadership", "Leadership", None, "active", "private", {"confidential": True, "maxMembers": 15}, 9, None),
    ("office-berlin", "Office: Berlin 🇩🇪", "Büro Berlin – Mittagessen, Pakete, Schlüssel.", "active", "public",
     {"city": "Berlin", "lat": 52.52, "lng": 13.405, "deskCount": 40}, 16, ["de"]),
    ("office-warsaw", "Biuro Warszawa", "Sprawy biurowe w Warszawie: obiady, paczki, goście.", "active", "public",
     {"city": "Warszawa", "lat": 52.2297, "lng": 21.0122, "deskCount": 25}, 14, ["pl", "uk"]),
    ("office-tokyo", "東京オフィス", "東京オフィスの連絡用チャンネルです。", "active", "public",
     {"city": "東京", "lat": 35.6762, "lng": 139.6503, "deskCount": 18}, 12, ["ja"]),
    ("office-nyc", "Office: NYC", "Brooklyn office — deliveries, lunch orders, building access.", "active",
     "public", {"city": "New York", "lat": 40.7128, "lng": -74.006, "deskCount": 55}, 18, ["en"]),
    ("team-京都", "チーム京都", "京都チームの雑談・連絡用。", "active", "private",
     {"topic": "紅葉シーズン 🍁", "lang": "ja"}, 7, ["ja"]),
    ("café-paris", "Café Paris ☕", "Les francophones se retrouvent ici. Café virtuel tous les vendredis.",
     "active", "public", {"lang": "fr", "meetupDay": "vendredi", "weekly": True}, 10, ["fr"]),
    ("community.help", "Community help", "Questions from the community. Answers from everyone.", "active",
     "public", {"topic": "Please search before asking 🙏", "slowModeSeconds": 30, "solvedThreads": 1289}, 0.24,
     None),
    ("community.showcase", "Showcase ✨", "Show what you built with Driftwood!", "active", "public",
     {"featuredThisWeek": "user-maja-nowak", "votesEnabled": True}, 0.12, None),
    ("community.ja", "コミュニティ（日本語）", "日本語で質問・雑談ができるチャンネルです。", "active", "public",
     {"lang": "ja", "moderated": True}, 12, ["ja"]),
    ("community.es", "Comunidad en español", "Preguntas y charla en español.", "active", "public",
     {"lang": "es", "moderated": True}, 14, ["es"]),
    ("community.de", "Community (Deutsch)", "Fragen und Austausch auf Deutsch.", "active", "public",
     {"lang": "de", "moderated": False}, 10, ["de"]),
    ("bookclub", "Book club 📚", "Currently reading: 'The Left Hand of Darkness'", "active", "public",
     {"currentBook": "The Left Hand of Darkness", "meetingsPerMonth": 1, "rating": 4.6}, 11, None),
    ("pets", "Pets 🐈", "Pictures of pets. Mandatory.", "active", "public", {"nsfw": False, "photosOnly": True}, 26,
     None),
    ("running-club", "Running club", None, "active", "public", {"weeklyKm": 142.3, "stravaClub": True}, 8, None),
    ("gaming", "Gaming 🎮", "Game nights every other Thursday.", None, "public", None, 13, None),
    ("hackathon-2024", "Hackathon 2024", "Driftwood Hack Week, June 2024. Archived.", "archived", "public",
     {"winners": "team-potato", "projects": 23, "readOnly": True}, 21, None),
    ("incident-2024-11-03", "INC: login outage 2024-11-03", "Postmortem: https://wiki.example.com/pm/2024-11-03",
     "archived", "private", {"severity": "sev1", "durationMinutes": 47, "resolved": True}, 9, None),
    ("archive-2019", "Archive 2019", None, "archived", None, None, 0, None),
    ("test-channel", "test", "please ignore", None, None, {}, 0, None),
    ("feedback", "Feedback", "Tell us what to improve. We read everything.", "active", "public",
     {"formUrl": "https://forms.example.com/driftwood-feedback", "anonymousAllowed": True}, 0.1, None),
    ("help-desk", "IT help desk", "Laptops, VPN, accounts.", "active", "public",
     {"sla-hours": 8, "ticketPrefix": "IT"}, 14, None),
]

# Direct and group messages (ids are opaque, names null).
for _ in range(4):
    CHANNELS.append((f"dm.{hexstr(16)}", None, None, None, "direct", None, 2, None))
for _ in range(2):
    CHANNELS.append((f"gdm.{hexstr(16)}", None, None, "active", "private",
                     {"groupDm": True, "createdTT": timetoken()}, rng.randint(3, 5), None))

channels = []
for cid, name, desc, status, ctype, custom, _size, _aff in CHANNELS:
    channels.append({"id": cid, "name": name, "description": desc, "status": status, "type": ctype,
                     "custom": custom})

# ---------------------------------------------------------------------------
# memberships
# ---------------------------------------------------------------------------

# Users who never joined anything.
generated_ids = [u["id"] for u in users if u["id"] not in SPECIAL_USERS]
quiet_pool = [u["id"] for u in users if u["id"] not in SPECIAL_USERS and u["status"] in ("inactive", None)]
no_membership = ["user-deleted-7f3a", ANON_ID, "user-guest-4821", "user-spammer-1337"] + rng.sample(quiet_pool, 4)
no_membership_set = {u: True for u in no_membership}

BOTS = ["user-bot-standup", "user-bot-deploy", "user-bot-github", "user-bot-welcome", "user-bot-pagerduty"]
BOT_CHANNELS = {
    "user-bot-standup": ["eng", "eng.backend", "eng.frontend", "eng.mobile", "eng.infra"],
    "user-bot-deploy": ["eng.releases", "eng.infra", "eng.oncall"],
    "user-bot-github": ["eng.code-review", "eng.backend", "eng.frontend", "eng.mobile"],
    "user-bot-welcome": ["general", "introductions", "community.help"],
    "user-bot-pagerduty": ["eng.oncall", "incident-2024-11-03"],
}

eligible = [u["id"] for u in users if u["id"] not in no_membership_set and u["id"] not in BOTS]
activity = {uid: rng.lognormvariate(0, 0.9) for uid in eligible}
# A handful of power users who are everywhere.
for uid in ["user-admin", "user-maja-nowak", "user-community-team", "user-tom-hughes"] + rng.sample(generated_ids, 6):
    if uid in activity:
        activity[uid] *= 6
staff_like = {u["id"]: True for u in users if u["type"] in ("admin", "moderator")}


def weighted_sample(pool, weights, k):
    """Efraimidis-Spirakis weighted sampling without replacement (deterministic)."""
    keyed = [(rng.random() ** (1.0 / w), uid) for uid, w in zip(pool, weights)]
    keyed.sort(key=lambda t: (-t[0], t[1]))
    return [uid for _, uid in keyed[:k]]


NOTIFY = [("all", 3), ("mentions", 6), ("none", 1)]
JOINED_VIA = [("invite-link", 3), ("sso", 2), ("admin", 1), ("search", 2), ("auto-join", 2)]


def membership_custom(role):
    if role == "owner":
        c = {"role": "owner", "notifications": weighted(NOTIFY[:2]), "lastReadTT": timetoken()}
        if chance(0.4):
            c["pinned"] = True
        return c
    if chance(0.5):
        return None
    c = {}
    if role == "moderator":
        c["role"] = "moderator"
    if chance(0.6):
        c["notifications"] = weighted(NOTIFY)
    if chance(0.55):
        c["lastReadTT"] = timetoken()
    if chance(0.25):
        c["unreadCount"] = int(rng.paretovariate(1.2)) - 1
    if chance(0.15):
        c["starred"] = chance(0.7)
    if chance(0.15):
        c["joinedVia"] = weighted(JOINED_VIA)
    if chance(0.05):
        c["muteUntilTT"] = timetoken(17640000000000000, 17700000000000000)
    if chance(0.05):
        c["engagementScore"] = round(rng.uniform(0, 1), 3)
    if not c:
        c["notifications"] = weighted(NOTIFY)
    return c


memberships = []
seen_pairs = {}


def add_membership(uid, cid, status, mtype, custom):
    key = (uid, cid)
    if key in seen_pairs:
        return
    seen_pairs[key] = True
    memberships.append({"uuid": uid, "channel": cid, "status": status, "type": mtype, "custom": custom})


for cid, _name, _desc, cstatus, ctype, _custom, size, affinity in CHANNELS:
    if isinstance(size, float):
        k = int(round(len(eligible) * size * rng.uniform(0.95, 1.05)))
    elif size > 2:
        k = max(2, int(round(size * rng.uniform(0.8, 1.2))))
    else:
        k = size
    if k == 0:
        continue
    weights = []
    for uid in eligible:
        w = activity[uid]
        loc = user_ids[uid]["locale"]
        if affinity:
            w *= 8.0 if loc in affinity else 0.25
        if ctype == "private" and uid in staff_like:
            w *= 4
        weights.append(w)
    members = weighted_sample(eligible, weights, k)
    if ctype == "direct":
        for uid in members:
            add_membership(uid, cid, None, None, {"lastReadTT": timetoken()} if chance(0.7) else None)
        continue
    # Owner: prefer staff among chosen members, otherwise the first chosen.
    owner = next((m for m in members if m in staff_like), members[0])
    if cid in ("general", "announcements"):
        owner = "user-admin"
        if owner not in members:
            members.insert(0, owner)
    n_mods = 0 if len(members) < 8 else min(3, 1 + len(members) // 40)
    mods = [m for m in members if m != owner and m in staff_like][:n_mods]
    if len(mods) < n_mods:
        mods += [m for m in members if m != owner and m not in mods][:n_mods - len(mods)]
    # Big default channels: most members have no metadata at all.
    bare_prob = 0.75 if isinstance(size, float) else 0.35
    for uid in members:
        if uid == owner:
            add_membership(uid, cid, "active", "owner", membership_custom("owner"))
        elif uid in mods:
            add_membership(uid, cid, weighted([("active", 4), (None, 1)]), "moderator", membership_custom("moderator"))
        elif chance(bare_prob):
            add_membership(uid, cid, None, None, None)
        else:
            if cstatus == "archived":
                mstatus = weighted([(None, 3), ("active", 1), ("left", 1)])
            else:
                mstatus = weighted([(None, 10), ("active", 8), ("muted", 3), ("invited", 1)])
            mtype = weighted([(None, 6), ("member", 5), ("guest", 1)])
            custom = membership_custom("member")
            if mstatus == "invited":
                custom = {"invitedBy": owner, "invitedTT": timetoken()}
            add_membership(uid, cid, mstatus, mtype, custom)

for bot in BOTS:
    for cid in BOT_CHANNELS[bot]:
        add_membership(bot, cid, "active", "bot" if chance(0.5) else "member",
                       {"integration": True, "postsPerDay": round(rng.uniform(0.5, 40), 1)})

# Deterministic, readable order: by channel (file order), then user (file order).
chan_pos = {c["id"]: i for i, c in enumerate(channels)}
user_pos = {u["id"]: i for i, u in enumerate(users)}
memberships.sort(key=lambda m: (chan_pos[m["channel"]], user_pos[m["uuid"]]))

# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

FORBIDDEN_ID_CHARS = ",/\\*:"
USER_KEYS = ["id", "name", "externalId", "profileUrl", "email", "status", "type", "custom"]
CHANNEL_KEYS = ["id", "name", "description", "status", "type", "custom"]
MEMBERSHIP_KEYS = ["uuid", "channel", "status", "type", "custom"]


def check_id(s):
    assert isinstance(s, str) and s, repr(s)
    assert len(s.encode("utf-8")) <= 92, s
    assert not any(c in FORBIDDEN_ID_CHARS for c in s), s
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in s), s
    assert s == s.strip(), s


def check_opt_str(v, maxlen=None):
    assert v is None or (isinstance(v, str) and v), repr(v)
    if maxlen is not None and v is not None:
        assert len(v) <= maxlen, v


def check_custom(c):
    assert c is None or isinstance(c, dict), repr(c)
    for k, v in (c or {}).items():
        assert isinstance(k, str) and k, repr(k)
        assert isinstance(v, (str, int, float, bool)) and v is not None, (k, v)
        if isinstance(v, float):
            assert v == v and v not in (float("inf"), float("-inf")), (k, v)


def check_record(rec, keys):
    assert list(rec) == keys, list(rec)
    assert len(json.dumps(rec, ensure_ascii=False).encode("utf-8")) < 8 * 1024, rec


def validate():
    seen = {}
    for u in users:
        check_record(u, USER_KEYS)
        check_id(u["id"])
        assert u["id"] not in seen, u["id"]
        seen[u["id"]] = True
        for f in ("name", "externalId", "profileUrl", "email"):
            check_opt_str(u[f])
        if u["email"] is not None:
            assert u["email"].isascii() and u["email"].count("@") == 1, u["email"]
        if u["profileUrl"] is not None:
            assert u["profileUrl"].startswith("https://") and "/avatars/" in u["profileUrl"], u["profileUrl"]
        check_opt_str(u["status"], 50)
        check_opt_str(u["type"], 50)
        check_custom(u["custom"])
    cseen = {}
    for c in channels:
        check_record(c, CHANNEL_KEYS)
        check_id(c["id"])
        assert c["id"] not in cseen, c["id"]
        cseen[c["id"]] = True
        check_opt_str(c["name"])
        check_opt_str(c["description"])
        check_opt_str(c["status"], 50)
        check_opt_str(c["type"], 50)
        check_custom(c["custom"])
    pairs = {}
    per_user = {}
    per_chan = {}
    for m in memberships:
        check_record(m, MEMBERSHIP_KEYS)
        assert m["uuid"] in seen, m
        assert m["channel"] in cseen, m
        key = (m["uuid"], m["channel"])
        assert key not in pairs, key
        pairs[key] = True
        check_opt_str(m["status"], 50)
        check_opt_str(m["type"], 50)
        check_custom(m["custom"])
        per_user[m["uuid"]] = per_user.get(m["uuid"], 0) + 1
        per_chan[m["channel"]] = per_chan.get(m["channel"], 0) + 1
    # Volume and shape of the dataset.
    assert len(users) >= 220, len(users)
    assert len(channels) >= 45, len(channels)
    assert len(memberships) >= 650, len(memberships)
    assert sum(1 for v in per_chan.values() if v >= 50) >= 3
    assert sum(1 for c in channels if c["id"] not in per_chan) >= 2
    assert sum(1 for u in users if u["id"] not in per_user) >= 3
    assert max(per_user.values()) >= 15
    assert sum(1 for u in users if not u["id"].startswith("user")) >= 10  # uuid-style ids
    # Every scalar type is present in user, channel and membership custom values.
    for recs in (users, channels, memberships):
        kinds = {type(v).__name__: True for r in recs for v in (r["custom"] or {}).values()}
        for kind in ("str", "int", "float", "bool"):
            assert kind in kinds, (kind, recs[0])
    assert any(u["custom"] is None for u in users) and any(u["custom"] == {} for u in users)
    assert any(" " in k or "-" in k for u in users for k in (u["custom"] or {}))
    assert any(not c["id"].isascii() for c in channels)


validate()

out = json.dumps({"users": users, "channels": channels, "memberships": memberships},
                 ensure_ascii=False, indent=1) + "\n"
sys.stdout.buffer.write(out.encode("utf-8"))
