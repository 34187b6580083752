"""The default taxonomy every new tenant gets, and the cue words the categoriser reads.

Keywords are word beginnings ("stems"): `courier*` matches courier, couriers;
`курьер*` matches курьер, курьера, курьером. Russian and Ukrainian change word endings
a lot, and a stem list is what an owner can read and edit (a morphological analyser would
be more exact but is a large dependency whose decisions owners cannot see or tune).
A word without `*` must match whole; several words match as a phrase.
"""
from __future__ import annotations

DEFAULT_TAXONOMY: dict[str, dict] = {
    "staff": {
        "names": {"en": "Staff", "ru": "Персонал", "uk": "Персонал"},
        "keywords": {
            "en": ["staff*", "employee*", "cashier*", "barista*", "waiter*", "waitress*", "manager*", "rude*",
                   "polite*", "impolite*", "friendly", "unfriendly", "helpful*", "unhelpful", "attitude*",
                   "courteous*", "dismissive*", "seller*", "salesperson*", "shop assistant*", "consultant*",
                   "team was", "girl at", "guy at", "lady at", "man at", "pharmacist*", "hairdresser*",
                   "stylist*", "mechanic*", "personnel", "service was friendly", "smile*", "ignored",
                   "competent", "incompetent", "professional*", "unprofessional", "knowledgeable", "rudely"],
            "ru": ["персонал*", "сотрудник*", "кассир*", "бариста", "официант*", "менеджер*", "продав*",
                   "консультант*", "груб*", "хамств*", "хамил*", "хамк*", "хам", "хамы", "вежлив*", "невежлив*",
                   "приветлив*", "дружелюб*", "отношени*", "администратор*", "девушк*", "парень", "парн*",
                   "работник*", "фармацевт*", "мастер*", "парикмахер*", "стилист*", "механик*", "улыб*",
                   "игнорир*", "компетент*", "некомпетент*", "профессионал*", "внимательн*", "обслуживани*",
                   "хамоват*", "нагруб*", "раздраж*", "сотрудниц*", "провизор*"],
            "uk": ["персонал*", "працівник*", "працівниц*", "касир*", "бариста", "офіціант*", "менеджер*",
                   "продав*", "консультант*", "груб*", "хамств*", "хамил*", "хам", "ввічлив*", "неввічлив*",
                   "привітн*", "доброзичлив*", "ставлен*", "адміністратор*", "дівчин*", "хлопець", "хлопц*",
                   "фармацевт*", "майстер*", "майстрин*", "перукар*", "стиліст*", "механік*", "усміх*",
                   "посміх*", "ігнор*", "компетент*", "некомпетент*", "професійн*", "уважн*", "обслуговуван*",
                   "співробітник*", "нагруб*", "роздрат*", "провізор*"],
        },
    },
    "waiting": {
        "names": {"en": "Waiting time", "ru": "Ожидание", "uk": "Очікування"},
        "keywords": {
            "en": ["wait*", "queue*", "line was", "long line", "slow*", "took ages", "took forever", "ages", "forever", "quick service", "served quickly", "fast service", "speed*", "response time", "took so long", "too long", "still waiting", "no answer for", "promptly", "prompt", "took", "weeks", "never answer"],
            "ru": ["ожидан*", "жда*", "ждал*", "ждать", "подожд*", "очеред*", "долго", "медлен*", "затян*", "вечность", "скорост*", "оперативн*", "ответа не", "до сих пор", "простоял*", "прождал*", "ожидал*", "обслужили быстро", "быстро обслужили", "недел*", "невозможно дозвон*", "шаблон*"],
            "uk": ["очікуван*", "чека*", "черг*", "довго", "довгий", "повільн*", "затягн*", "вічність", "оперативн*", "відповіді не", "досі", "простоял*", "прочекал*", "зачекат*", "обслужили швидко", "швидко обслужили", "тижн*", "тиждень", "неможливо додзвон*", "шаблон*"],
        },
    },
    "delivery": {
        "names": {"en": "Delivery", "ru": "Доставка", "uk": "Доставка"},
        "keywords": {
            "en": ["deliver*", "courier*", "shipping", "shipment*", "shipped", "ship", "parcel*", "package*",
                   "pickup", "pick up", "pick-up", "driver*", "arrived", "arrive*", "dispatch*", "postal",
                   "post office", "tracking number", "wrong address", "wrong door", "left at", "doorstep",
                   "box was", "the box", "order came", "order arrived", "never came"],
            "ru": ["доставк*", "доставл*", "достав*", "доставщик*", "курьер*", "кур'ер*", "посылк*", "пакет*",
                   "самовывоз*", "привез*", "привоз*", "водител*", "отправк*", "отправлен*", "пришл*",
                   "пришел", "пришёл", "почт*", "трек", "адрес*", "двер*", "коробк*", "заказ приш*",
                   "опоздал*", "опаздал*", "не привез*"],
            "uk": ["доставк*", "доставл*", "достав*", "кур'єр*", "курєр*", "кур’єр*", "посилк*", "пакунок*",
                   "самовивіз*", "привез*", "привіз*", "водій*", "водія", "відправк*", "відправлен*",
                   "прийшл*", "прийшов", "пошт*", "нова пошта", "трек", "адрес*", "двер*", "коробк*",
                   "запізни*", "спізни*", "не привез*"],
        },
    },
    "price": {
        "names": {"en": "Prices", "ru": "Цены", "uk": "Ціни"},
        "keywords": {
            "en": ["price*", "pricey", "expensive", "cheap*", "overpriced", "cost*", "value for money",
                   "worth the money", "worth it", "not worth", "discount*", "promo*", "deal*", "afford*",
                   "bargain*", "overcharg*", "pay so much", "too much money", "rip-off", "ripoff", "coupon*",
                   "sale", "bonus*", "loyalty", "cashback"],
            "ru": ["цен*", "дорог*", "дешев*", "дешёв*", "стоимост*", "стоит", "стоят", "скидк*", "акци*",
                   "промокод*", "переплат*", "деньг*", "доступн* цен*", "бонус*", "кэшбэк*", "кешбек*",
                   "cashback", "подорож*", "наценк*", "не стоит своих", "копе*", "рубл*", "гривн*", "грн"],
            "uk": ["цін*", "ціна", "дорог*", "дешев*", "вартіст*", "коштує", "коштують", "знижк*", "акці*",
                   "промокод*", "переплат*", "грош*", "бонус*", "кешбек*", "кешбэк*", "cashback", "подорожч*",
                   "націнк*", "гривн*", "грн", "копійк*"],
        },
    },
    "quality": {
        "names": {"en": "Quality", "ru": "Качество", "uk": "Якість"},
        "keywords": {
            "en": ["quality", "fresh*", "stale", "taste*", "tasty", "tasteless", "delicious", "flavour*", "flavor*", "cold", "burnt", "undercooked", "raw", "broken", "broke", "defect*", "faulty", "damaged", "spoiled", "spoilt", "rotten", "expired", "mouldy", "moldy", "soggy", "bland", "dry", "coffee was", "food was", "croissant*", "pastr*", "latte*", "pizza*", "soup", "sandwich*", "works perfectly", "stopped working", "poor quality", "cheaply made", "as described", "hair in", "consistent", "best cut", "smashed", "shattered", "crooked", "fell apart", "came off", "tear*", "torn", "leak*", "scratch*"],
            "ru": ["качеств*", "свеж*", "черств*", "вкус*", "невкус*", "холодн*", "остыл*", "пригор*", "сыр*", "сух*", "сломан*", "слома*", "брак*", "бракован*", "дефект*", "поврежд*", "испорч*", "протух*", "просроч*", "плесен*", "пресн*", "кофе был", "еда", "круассан*", "выпечк*", "пирож*", "латте", "пицц*", "суп*", "бутерброд*", "развалил*", "порва*", "протек*", "царапин*", "кисл*", "горьк*", "горч*", "пережж*", "разбит*", "мят*", "криво", "волос*", "как в описании", "как на фото", "слетел*"],
            "uk": ["якіст*", "якісн*", "свіж*", "черств*", "смак*", "смачн*", "несмачн*", "холодн*", "охолол*", "пригор*", "сир*", "сух*", "зламан*", "злама*", "брак*", "бракован*", "дефект*", "пошкодж*", "зіпсован*", "протух*", "прострочен*", "плісен*", "прісн*", "кава була", "кава", "їжа", "круасан*", "випічк*", "пиріж*", "лате", "піц*", "суп*", "бутерброд*", "розвалил*", "порва*", "протіка*", "подряпин*", "кисл*", "гірк*", "гірч*", "перепал*", "розбит*", "пом'ят*", "помят*", "криво", "волосин*", "як в описі", "як на фото", "злетів", "злетіл*"],
        },
    },
    "cleanliness": {
        "names": {"en": "Cleanliness and comfort", "ru": "Чистота и комфорт", "uk": "Чистота і комфорт"},
        "keywords": {
            "en": ["clean*", "dirty", "dirt", "filthy", "messy", "mess", "sticky", "dust*", "toilet*",
                   "bathroom*", "restroom*", "smell*", "stink*", "hygien*", "cosy", "cozy", "comfortable",
                   "uncomfortable", "ambience", "ambiance", "atmosphere", "music", "noisy", "noise", "loud",
                   "cold inside", "too hot", "stuffy", "air conditioning", "chairs", "tables", "table was",
                   "interior", "decor", "spotless", "tidy", "untidy", "crumbs", "trash", "garbage", "bins"],
            "ru": ["чист*", "грязн*", "гряз*", "неряш*", "липк*", "пыль*", "пыльн*", "туалет*", "уборн*",
                   "запах*", "воня*", "пахн*", "гигиен*", "уют*", "комфорт*", "неуют*", "атмосфер*",
                   "музык*", "шумн*", "шум*", "громк*", "душн*", "холодно в", "жарко", "кондиционер*",
                   "стул*", "стол*", "столик*", "интерьер*", "мусор*", "крошк*", "убира*", "убор*"],
            "uk": ["чист*", "брудн*", "бруд*", "неохайн*", "липк*", "пил*", "пильн*", "туалет*", "вбиральн*",
                   "запах*", "смерд*", "пахн*", "гігієн*", "затишн*", "комфорт*", "атмосфер*", "музик*",
                   "галасл*", "шум*", "гучн*", "задушлив*", "холодно в", "спекотно", "кондиціонер*", "стільц*",
                   "стіл*", "столик*", "інтер'єр*", "інтерєр*", "сміт*", "крихт*", "прибира*"],
        },
    },
    "website": {
        "names": {"en": "Website and app", "ru": "Сайт и приложение", "uk": "Сайт і застосунок"},
        "keywords": {
            "en": ["website*", "site", "web", "online", "app", "apps", "application", "checkout", "check-out",
                   "cart", "basket", "login", "log in", "logged out", "logging", "sign in", "password",
                   "page*", "button*", "bug*", "glitch*", "crash*", "error message", "loading", "loads",
                   "browser", "link", "menu online", "online order*", "order online", "ordering", "interface",
                   "ui", "navigation", "search"],
            "ru": ["сайт*", "приложени*", "онлайн", "app", "корзин*", "оформ* заказ*", "оформлени*", "логин*",
                   "войти", "вход*", "авториз*", "парол*", "страниц*", "кнопк*", "баг*", "глюч*", "глюк*",
                   "вылета*", "ошибк*", "загруж*", "грузит*", "браузер*", "ссылк*", "интерфейс*",
                   "checkout", "поиск*", "личн* кабинет*", "регистрац*"],
            "uk": ["сайт*", "застосун*", "додат*", "онлайн", "app", "кошик*", "оформ* замовлен*", "оформлен*",
                   "логін*", "увійти", "вхід*", "авториз*", "парол*", "сторінк*", "кнопк*", "баг*", "глюч*",
                   "глюк*", "виліта*", "помилк*", "завантаж*", "браузер*", "посиланн*",
                   "інтерфейс*", "checkout", "пошук*", "особист* кабінет*", "реєстрац*"],
        },
    },
    "payment": {
        "names": {"en": "Payment", "ru": "Оплата", "uk": "Оплата"},
        "keywords": {
            "en": ["payment*", "pay", "paid", "paying", "card*", "declined", "terminal*", "cash", "refund*",
                   "receipt*", "invoice*", "charged", "charge*", "double charge*", "charged twice", "billing",
                   "bill", "apple pay", "google pay", "paypal", "money back", "transaction*", "contactless"],
            "ru": ["оплат*", "оплачив*", "заплат*", "плат*", "карт*", "картой", "терминал*", "налич*",
                   "возврат*", "верн* деньг*", "вернуть деньги", "чек*", "счет*", "счёт*", "списал*", "списан*",
                   "дважды", "apple pay", "google pay", "транзакц*", "бесконтакт*", "oplata", "оплот*"],
            "uk": ["оплат*", "оплачу*", "заплат*", "плат*", "картк*", "карт*", "термінал*", "готівк*",
                   "повернен*", "поверн* гроші", "повернути гроші", "чек*", "рахун*", "списал*", "списан*",
                   "двічі", "apple pay", "google pay", "транзакці*", "безконтакт*", "oplata"],
        },
    },
    "communication": {
        "names": {"en": "Communication", "ru": "Информирование", "uk": "Інформування"},
        "keywords": {
            "en": ["inform*", "notif*", "call*", "called", "phone*", "email*", "e-mail", "message*", "sms",
                   "text me", "texted", "update*", "tracking", "kept me posted", "kept informed", "no one told",
                   "nobody told", "no one answered", "nobody answered", "answer*", "respond*", "reply",
                   "replied", "contact*", "reach*", "communicat*", "hotline", "support", "chat", "explained",
                   "warn*", "let me know", "heard back"],
            "ru": ["информ*", "уведомл*", "звон*", "позвон*", "перезвон*", "дозвон*", "телефон*", "письм*",
                   "email", "почт* не", "сообщени*", "смс", "sms", "обновлени*", "отслежива*", "трекинг*",
                   "никто не сказал", "никто не ответил", "не ответ*", "ответ*", "связ*", "горяч* лини*",
                   "поддержк*", "чат*", "объясн*", "предупред*", "сообщил*", "в курсе"],
            "uk": ["інформ*", "сповіщ*", "повідомл*", "дзвін*", "дзвон*", "зателефон*", "передзвон*",
                   "додзвон*", "телефон*", "лист*", "email", "смс", "sms", "оновлен*", "відстеж*", "трекінг*",
                   "ніхто не сказав", "ніхто не відповів", "не відповід*", "відповід*", "зв'яз*", "звяз*",
                   "гаряч* лін*", "підтримк*", "чат*", "поясн*", "попередил*", "попередже*", "в курсі"],
        },
    },
    "assortment": {
        "names": {"en": "Range and availability", "ru": "Ассортимент", "uk": "Асортимент"},
        "keywords": {
            "en": ["range", "selection", "choice", "variety", "assortment", "stock", "out of stock", "in stock", "sold out", "available", "availability", "unavailable", "missing", "ran out", "run out", "vegan", "gluten", "lactose", "oat milk", "colours", "colors", "brand*", "restock*", "wider", "more products", "gluten-free", "have what i need", "had it"],
            "ru": ["ассортимент*", "выбор*", "разнообраз*", "наличи*", "нет в наличии", "закончил*", "законч*", "распрод*", "отсутств*", "веган*", "безглютен*", "без глютена", "безлактоз*", "лактоз*", "растительн* молок*", "цвет*", "бренд*", "поставк*", "всё нужное", "все нужное", "позици*", "полки пуст*"],
            "uk": ["асортимент*", "вибір*", "вибор*", "різноманіт*", "наявн*", "немає в наявності", "закінчил*", "закінч*", "розпрод*", "відсутн*", "веган*", "безглютен*", "без глютену", "безлактоз*", "лактоз*", "рослинн* молок*", "колір*", "кольор*", "бренд*", "постачан*", "все потрібне", "позиці*", "полиці порожн*"],
        },
    },
}

CATEGORY_KEYS = tuple(DEFAULT_TAXONOMY)

# Words that flip what follows (within a few words): "not rude", "не грубый", "не брудно".
NEGATIONS = {"not", "no", "never", "without", "nothing", "isn't", "wasn't", "weren't", "aren't", "don't",
             "didn't", "doesn't", "nor", "hardly", "не", "нет", "ни", "без", "никаких", "ничего", "ні", "немає",
             "жодних", "нічого", "ніяких"}

# Stems that name a problem (needs action when not negated).
PROBLEM_CUES = [
    # en
    "rude*", "late", "lateness", "delay*", "broken", "broke", "damaged", "defect*", "faulty", "dirty", "filthy",
    "stale", "cold", "burnt", "raw", "spoiled", "spoilt", "rotten", "expired", "mouldy", "moldy", "wrong",
    "missing", "lost", "never came", "never arrived", "didn't arrive", "did not arrive", "out of stock",
    "sold out", "ran out", "declined", "charged twice", "double charge*", "overcharg*", "refund*", "bug*",
    "glitch*", "crash*", "error*", "doesn't work", "does not work", "didn't work", "not working", "stopped working",
    "logged out", "logging me out", "can't", "cannot", "couldn't", "unable", "ignored", "dismissive*",
    "sticky", "smell*", "stink*", "noisy", "leak*", "torn", "fell apart", "waited", "forever", "ages",
    "took so long", "too long", "no one called", "nobody called", "no one answered", "nobody answered",
    "no update*", "unhelpful", "impolite", "unfriendly", "incompetent", "unprofessional", "overpriced",
    "too expensive", "rip-off", "ripoff", "mess", "messy", "crumbs", "soggy", "undercooked", "scratch*",
    "wrong address", "wrong door", "no answer", "slow*", "queue*", "too pricey", "nobody told", "no one told",
    # ru
    "груб*", "хам*", "нагруб*", "опоздал*", "опаздал*", "опозда*", "задерж*", "сломан*", "слома*", "брак*",
    "поврежд*", "грязн*", "черств*", "чёрств*", "холодн*", "пригор*", "испорч*", "протух*", "просроч*",
    "плесен*", "не тот", "не та", "не те", "неправильн*", "потерял*", "потеря*", "не привез*", "не пришл*",
    "не доставил*", "закончил*", "нет в наличии", "отклон*", "не прош*", "дважды", "списали дважды",
    "переплат*", "возврат*", "верните", "баг*", "глюч*", "глюк*", "вылета*", "ошибк*", "не работает",
    "не работал*", "перестал*", "не могу", "не смог*", "невозможно", "игнорир*", "липк*", "воня*", "шумн*",
    "протек*", "порва*", "ждал*", "прождал*", "очеред*", "долго", "никто не", "не ответ*", "не перезвон*",
    "невежлив*", "некомпетент*", "дорого", "слишком дорог*", "мусор*", "медлен*", "не дозвон*",
    # uk
    "запізни*", "спізни*", "затрим*", "зламан*", "злама*", "пошкодж*", "брудн*", "зіпсован*", "прострочен*",
    "плісен*", "не той", "не та", "не ті", "неправильн*", "загубил*", "втрати*", "не прийшл*", "не доставил*",
    "закінчил*", "немає в наявності", "відхил*", "не пройш*", "двічі", "списали двічі", "повернення",
    "поверніть", "помилк*", "не працює", "не працював*", "перестав*", "не можу", "не зміг*", "неможливо",
    "ігнор*", "смерд*", "галасл*", "протіка*", "чекал*", "прочекал*", "черг*", "ніхто не", "не відповід*",
    "не передзвон*", "неввічлив*", "некомпетент*", "задорого", "сміт*", "повільн*", "не додзвон*",
]

# Words of praise and of displeasure (for refining sentiment).
POSITIVE_CUES = ["great", "excellent", "amazing", "awesome", "love*", "lovely", "perfect*", "wonderful", "best",
                 "fantastic", "delicious", "friendly", "thank*", "good", "nice", "recommend*", "spotless",
                 "отличн*", "прекрасн*", "замечательн*", "супер", "люблю", "спасибо", "лучш*", "вкусн*",
                 "рекоменд*", "хорош*", "классн*", "чудов*", "відмінн*", "дякую", "дякуємо", "найкращ*",
                 "смачн*", "рекоменд*", "гарн*", "класн*", "супер"]
NEGATIVE_CUES = ["bad", "terrible", "awful", "horrible", "worst", "disappoint*", "disgust*", "annoy*", "angry",
                 "unacceptable", "poor", "never again", "ужасн*", "плох*", "отвратительн*", "разочаров*",
                 "кошмар*", "безобраз*", "недоволен", "недовольн*", "жахлив*", "поган*", "огидн*",
                 "розчаруван*", "розчарова*", "незадоволен*", "неприйнятн*", "неприемлем*"]

# The customer asks to be contacted, or wants something back.
CONTACT_CUES = ["call me", "call back", "contact me", "email me", "get back to me", "reach me", "write to me",
                "text me", "let me know", "refund", "money back", "my money", "перезвоните", "позвоните",
                "свяжитесь", "напишите мне", "ответьте", "верните деньги", "верните", "возврат денег",
                "жду ответа", "зателефонуйте", "передзвоніть", "зв'яжіться", "звяжіться", "напишіть мені",
                "відповідайте", "поверніть гроші", "поверніть", "чекаю відповіді", "чекаю на відповідь"]
QUESTION_WORDS = {"how", "when", "why", "where", "what", "can", "could", "will", "would", "is", "are", "do",
                  "does", "как", "когда", "почему", "где", "что", "можно", "ли", "зачем", "сколько", "як",
                  "коли", "чому", "де", "що", "чи", "можна", "навіщо", "скільки"}
