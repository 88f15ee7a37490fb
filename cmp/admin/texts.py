"""Every string the admin UI shows, in Russian (the default), Kazakh and English, in one place.

The staff are the lender's marketers and privacy officer; Russian is their working language, and
Kazakh and English are offered on the same footing as the banner's. Keeping all strings here lets a
translator review one file and lets a test check that no language is missing a key.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES: tuple[str, ...] = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES: Mapping[str, str] = {"ru": "Русский", "kk": "Қазақша", "en": "English"}

TEXTS: Mapping[str, Mapping[str, str]] = {
    # -- shell ---------------------------------------------------------------------------
    "app_title": {
        "ru": "Kelisim — управление согласиями",
        "kk": "Kelisim — келісімдерді басқару",
        "en": "Kelisim — consent management",
    },
    "skip_to_content": {
        "ru": "Перейти к содержимому",
        "kk": "Мазмұнға өту",
        "en": "Skip to content",
    },
    "nav_label": {"ru": "Разделы", "kk": "Бөлімдер", "en": "Sections"},
    "nav_dashboard": {"ru": "Обзор", "kk": "Шолу", "en": "Dashboard"},
    "nav_vendors": {"ru": "Сервисы", "kk": "Сервистер", "en": "Vendors"},
    "nav_revisions": {"ru": "Редакции", "kk": "Редакциялар", "en": "Revisions"},
    "nav_consent_log": {"ru": "Журнал согласий", "kk": "Келісімдер журналы", "en": "Consent log"},
    "nav_requests": {
        "ru": "Запросы субъектов",
        "kk": "Субъектілердің сұраулары",
        "en": "Subject requests",
    },
    "nav_scans": {"ru": "Сканирования", "kk": "Сканерлеулер", "en": "Scans"},
    "nav_users": {"ru": "Пользователи", "kk": "Пайдаланушылар", "en": "Users"},
    "nav_audit": {"ru": "Журнал действий", "kk": "Әрекеттер журналы", "en": "Audit log"},
    "signed_in_as": {"ru": "Вы вошли как", "kk": "Сіз кірдіңіз:", "en": "Signed in as"},
    "logout": {"ru": "Выйти", "kk": "Шығу", "en": "Log out"},
    "language": {"ru": "Язык", "kk": "Тіл", "en": "Language"},
    "role_viewer": {"ru": "наблюдатель", "kk": "бақылаушы", "en": "viewer"},
    "role_editor": {"ru": "редактор", "kk": "редактор", "en": "editor"},
    "role_admin": {"ru": "администратор", "kk": "әкімші", "en": "admin"},
    # -- login ---------------------------------------------------------------------------
    "login_title": {
        "ru": "Вход для сотрудников",
        "kk": "Қызметкерлердің кіруі",
        "en": "Staff login",
    },
    "username": {"ru": "Имя пользователя", "kk": "Пайдаланушы аты", "en": "Username"},
    "password": {"ru": "Пароль", "kk": "Құпиясөз", "en": "Password"},
    "login_submit": {"ru": "Войти", "kk": "Кіру", "en": "Log in"},
    "login_failed": {
        "ru": "Неверное имя пользователя или пароль.",
        "kk": "Пайдаланушы аты немесе құпиясөз қате.",
        "en": "Wrong username or password.",
    },
    "login_throttled": {
        "ru": "Слишком много неудачных попыток входа. Повторите через {minutes} мин.",
        "kk": "Сәтсіз кіру әрекеттері тым көп. {minutes} минуттан кейін қайталаңыз.",
        "en": "Too many failed login attempts. Try again in {minutes} min.",
    },
    "logged_out": {
        "ru": "Вы вышли из системы.",
        "kk": "Сіз жүйеден шықтыңыз.",
        "en": "You have logged out.",
    },
    "session_ended": {
        "ru": "Сеанс завершён из-за бездействия или по истечении срока. Войдите снова.",
        "kk": "Сеанс әрекетсіздікке немесе мерзімнің өтуіне байланысты аяқталды. Қайта кіріңіз.",
        "en": "Your session ended after inactivity or its time limit. Please log in again.",
    },
    "login_required": {
        "ru": "Войдите, чтобы продолжить.",
        "kk": "Жалғастыру үшін кіріңіз.",
        "en": "Please log in to continue.",
    },
    "hygiene_title": {
        "ru": "Правила безопасной работы",
        "kk": "Қауіпсіз жұмыс ережелері",
        "en": "Staying safe",
    },
    "hygiene_1": {
        "ru": "Входите только по адресу, который выдал администратор, и проверяйте, что "
        "соединение защищено (HTTPS, значок замка).",
        "kk": "Тек әкімші берген мекенжай арқылы кіріңіз және байланыстың қорғалғанын "
        "(HTTPS, құлып белгісі) тексеріңіз.",
        "en": "Only sign in at the address your administrator gave you, and check that the "
        "connection is secure (HTTPS, the padlock).",
    },
    "hygiene_2": {
        "ru": "Не сохраняйте пароль в браузере и никому его не сообщайте — ни коллегам, "
        "ни «службе поддержки».",
        "kk": "Құпиясөзді браузерде сақтамаңыз және оны ешкімге — әріптестерге де, "
        "«қолдау қызметіне» де айтпаңыз.",
        "en": "Do not let the browser save your password, and never tell it to anyone — "
        "colleagues or “support” included.",
    },
    "hygiene_3": {
        "ru": "Используйте длинный (от 12 символов) пароль, который больше нигде не применяется; "
        "храните его в менеджере паролей.",
        "kk": "Басқа еш жерде қолданылмайтын ұзын (кемінде 12 таңба) құпиясөз пайдаланыңыз; "
        "оны құпиясөз менеджерінде сақтаңыз.",
        "en": "Use a long password (12 characters or more) that you use nowhere else; keep it "
        "in a password manager.",
    },
    "hygiene_4": {
        "ru": "Не входите с чужих или общих компьютеров и завершайте работу кнопкой «Выйти».",
        "kk": "Бөгде немесе ортақ компьютерлерден кірмеңіз, жұмысты «Шығу» батырмасымен аяқтаңыз.",
        "en": "Do not sign in from someone else's or a shared computer, and finish with “Log out”.",
    },
    "hygiene_5": {
        "ru": "Письмо или звонок с просьбой назвать пароль — мошенничество. Сообщите о нём "
        "ответственному за информационную безопасность.",
        "kk": "Құпиясөзді сұраған хат немесе қоңырау — алаяқтық. Бұл туралы ақпараттық "
        "қауіпсіздікке жауапты адамға хабарлаңыз.",
        "en": "A message or call asking for your password is fraud. Report it to the person "
        "responsible for information security.",
    },
    # -- dashboard -----------------------------------------------------------------------
    "dashboard_title": {"ru": "Обзор", "kk": "Шолу", "en": "Dashboard"},
    "dashboard_welcome": {
        "ru": "Добро пожаловать, {name}.",
        "kk": "Қош келдіңіз, {name}.",
        "en": "Welcome, {name}.",
    },
    "dashboard_role": {
        "ru": "Ваша роль: {role}.",
        "kk": "Сіздің рөліңіз: {role}.",
        "en": "Your role: {role}.",
    },
    "catalogue_title": {
        "ru": "Каталог сервисов",
        "kk": "Сервистер каталогы",
        "en": "Vendor catalogue",
    },
    "catalogue_revision": {"ru": "Редакция", "kk": "Редакция", "en": "Revision"},
    "catalogue_vendors": {"ru": "Сервисов", "kk": "Сервистер саны", "en": "Vendors"},
    "catalogue_purposes": {"ru": "Целей", "kk": "Мақсаттар саны", "en": "Purposes"},
    "catalogue_unavailable": {
        "ru": "Каталог не загружен.",
        "kk": "Каталог жүктелмеген.",
        "en": "The catalogue is not loaded.",
    },
    "recent_activity": {
        "ru": "Последние действия",
        "kk": "Соңғы әрекеттер",
        "en": "Recent activity",
    },
    "all_activity": {
        "ru": "Весь журнал действий",
        "kk": "Барлық әрекеттер журналы",
        "en": "Full audit log",
    },
    "coming_title": {
        "ru": "Раздел появится в следующем выпуске",
        "kk": "Бөлім келесі шығарылымда пайда болады",
        "en": "Coming in a later release",
    },
    "coming_text": {
        "ru": "Этот раздел ещё в разработке. Пока им можно управлять через файл vendors.yaml "
        "и команду kelisim.",
        "kk": "Бұл бөлім әлі әзірленуде. Әзірге оны vendors.yaml файлы және kelisim командасы "
        "арқылы басқаруға болады.",
        "en": "This section is still being built. Meanwhile, use vendors.yaml and the kelisim "
        "command.",
    },
    # -- users ---------------------------------------------------------------------------
    "users_title": {"ru": "Пользователи", "kk": "Пайдаланушылар", "en": "Users"},
    "users_add_title": {"ru": "Новый пользователь", "kk": "Жаңа пайдаланушы", "en": "New user"},
    "password_repeat": {"ru": "Пароль ещё раз", "kk": "Құпиясөз қайтадан", "en": "Repeat password"},
    "password_hint": {
        "ru": "Не короче 12 символов. Передайте пароль лично, не по почте и не в мессенджере.",
        "kk": "Кемінде 12 таңба. Құпиясөзді поштамен не мессенджермен емес, жеке беріңіз.",
        "en": "At least 12 characters. Hand it over in person, not by e-mail or chat.",
    },
    "role": {"ru": "Роль", "kk": "Рөл", "en": "Role"},
    "status": {"ru": "Состояние", "kk": "Күйі", "en": "Status"},
    "status_active": {"ru": "активен", "kk": "белсенді", "en": "active"},
    "status_disabled": {"ru": "отключён", "kk": "өшірілген", "en": "disabled"},
    "last_login": {"ru": "Последний вход", "kk": "Соңғы кіру", "en": "Last login"},
    "never": {"ru": "никогда", "kk": "ешқашан", "en": "never"},
    "created": {"ru": "Создан", "kk": "Құрылған", "en": "Created"},
    "actions": {"ru": "Действия", "kk": "Әрекеттер", "en": "Actions"},
    "users_add_submit": {"ru": "Добавить", "kk": "Қосу", "en": "Add user"},
    "change_role": {"ru": "Сменить роль", "kk": "Рөлді өзгерту", "en": "Change role"},
    "disable": {"ru": "Отключить", "kk": "Өшіру", "en": "Disable"},
    "enable": {"ru": "Включить", "kk": "Қосу", "en": "Enable"},
    "you": {"ru": "это вы", "kk": "бұл сіз", "en": "you"},
    "user_added": {
        "ru": "Пользователь {name} добавлен.",
        "kk": "{name} пайдаланушысы қосылды.",
        "en": "User {name} added.",
    },
    "user_updated": {
        "ru": "Пользователь {name} изменён.",
        "kk": "{name} пайдаланушысы өзгертілді.",
        "en": "User {name} updated.",
    },
    "error_form": {
        "ru": "Заполните все поля.",
        "kk": "Барлық өрістерді толтырыңыз.",
        "en": "Please fill in every field.",
    },
    "error_passwords_differ": {
        "ru": "Пароли не совпадают.",
        "kk": "Құпиясөздер сәйкес келмейді.",
        "en": "The passwords do not match.",
    },
    "error_invalid_username": {
        "ru": "Имя пользователя: 3–64 символа — латинские буквы, цифры, «.», «_», «@», «-».",
        "kk": "Пайдаланушы аты: 3–64 таңба — латын әріптері, сандар, «.», «_», «@», «-».",
        "en": "Username: 3–64 characters — latin letters, digits, '.', '_', '@', '-'.",
    },
    "error_weak_password": {
        "ru": "Пароль должен быть не короче 12 символов и не совпадать с именем пользователя.",
        "kk": "Құпиясөз кемінде 12 таңба болуы және пайдаланушы атымен сәйкес келмеуі керек.",
        "en": "The password needs 12 characters or more and must differ from the username.",
    },
    "error_username_taken": {
        "ru": "Такое имя пользователя уже занято.",
        "kk": "Бұл пайдаланушы аты бос емес.",
        "en": "That username is already taken.",
    },
    "error_last_admin": {
        "ru": "Нельзя отключить или понизить последнего активного администратора.",
        "kk": "Соңғы белсенді әкімшіні өшіруге немесе рөлін төмендетуге болмайды.",
        "en": "The last active admin cannot be disabled or demoted.",
    },
    "error_unknown_user": {
        "ru": "Пользователь не найден.",
        "kk": "Пайдаланушы табылмады.",
        "en": "No such user.",
    },
    "error_invalid_role": {"ru": "Неизвестная роль.", "kk": "Белгісіз рөл.", "en": "Unknown role."},
    "error_self_disable": {
        "ru": "Нельзя отключить собственную учётную запись.",
        "kk": "Өз есептік жазбаңызды өшіруге болмайды.",
        "en": "You cannot disable your own account.",
    },
    # -- audit log -----------------------------------------------------------------------
    "audit_title": {"ru": "Журнал действий", "kk": "Әрекеттер журналы", "en": "Audit log"},
    "audit_intro": {
        "ru": "Кто, когда и что изменил. Записи не редактируются и не удаляются.",
        "kk": "Кім, қашан және нені өзгертті. Жазбалар өңделмейді және жойылмайды.",
        "en": "Who changed what, and when. Entries are never edited or deleted.",
    },
    "audit_at": {"ru": "Время (UTC)", "kk": "Уақыт (UTC)", "en": "Time (UTC)"},
    "audit_actor": {"ru": "Кто", "kk": "Кім", "en": "Actor"},
    "audit_action": {"ru": "Действие", "kk": "Әрекет", "en": "Action"},
    "audit_target": {"ru": "Объект", "kk": "Нысан", "en": "Target"},
    "audit_change": {"ru": "Изменение", "kk": "Өзгеріс", "en": "Change"},
    "audit_empty": {
        "ru": "Записей пока нет.",
        "kk": "Әзірге жазбалар жоқ.",
        "en": "No entries yet.",
    },
    "audit_older": {
        "ru": "Более ранние записи",
        "kk": "Ертеректегі жазбалар",
        "en": "Older entries",
    },
    "audit_newest": {"ru": "К последним записям", "kk": "Соңғы жазбаларға", "en": "Newest entries"},
    # -- errors --------------------------------------------------------------------------
    "error_title": {"ru": "Ошибка", "kk": "Қате", "en": "Error"},
    "error_403": {
        "ru": "У вашей роли нет доступа к этой странице или действию.",
        "kk": "Сіздің рөліңізге бұл бетке немесе әрекетке рұқсат жоқ.",
        "en": "Your role does not allow this page or action.",
    },
    "error_csrf": {
        "ru": "Форма устарела или отправлена не с этого сайта. Обновите страницу и повторите.",
        "kk": "Пішін ескірген немесе осы сайттан жіберілмеген. Бетті жаңартып, қайталаңыз.",
        "en": "The form has expired or did not come from this site. Reload the page and retry.",
    },
    "error_404": {
        "ru": "Страница не найдена.",
        "kk": "Бет табылмады.",
        "en": "Page not found.",
    },
    "error_500": {
        "ru": "Что-то пошло не так. Повторите позже; если ошибка останется, "
        "сообщите администратору.",
        "kk": "Бір нәрсе дұрыс болмады. Кейінірек қайталаңыз; қате қайталанса, "
        "әкімшіге хабарлаңыз.",
        "en": "Something went wrong. Try again later; if it persists, tell your administrator.",
    },
    "back_to_dashboard": {"ru": "На главную", "kk": "Басты бетке", "en": "Back to the dashboard"},
}


def text(key: str, language: str, **values: object) -> str:
    """The string for `key` in `language` (Russian when that language lacks it), formatted."""
    entry = TEXTS[key]
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template


def pick_language(requested: str | None) -> str | None:
    return requested if requested in LANGUAGES else None
